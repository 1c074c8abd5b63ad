//! Validation of free text and list sizes.

use crate::error::{Error, Result};

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
pub const MAX_NAME_CHARS: usize = 200;

/// Checks `value` is at most `max` characters as sent, then trims it and checks it is not
/// empty and has no control characters.
pub fn clean_line(field: &str, value: &str, max: usize) -> Result<String> {
    check_len(field, value, max)?;
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::validation(field, "must not be empty"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Error::validation(
            field,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// Like [`clean_line`] but may be empty and may hold line breaks and tabs (multi-line text).
pub fn clean_text(field: &str, value: &str, max: usize) -> Result<String> {
    check_len(field, value, max)?;
    let trimmed = value.trim();
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::validation(
            field,
            "must not contain control characters other than line breaks and tabs",
        ));
    }
    Ok(trimmed.to_owned())
}

fn check_len(field: &str, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        return Err(Error::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// Checks a list is `min..=max` long.
pub fn check_list_len<T>(field: &str, items: &[T], min: usize, max: usize) -> Result<()> {
    if items.len() < min {
        return Err(Error::validation(
            field,
            format!("must hold at least {min} item(s)"),
        ));
    }
    if items.len() > max {
        return Err(Error::validation(
            field,
            format!("must hold at most {max} items"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_trimmed_and_bounded() {
        assert_eq!(clean_line("title", "  SMM  ", 200).ok(), Some("SMM".into()));
        assert!(clean_line("title", "   ", 200).is_err());
        assert!(clean_line("title", &"é".repeat(200), 200).is_ok());
        assert!(clean_line("title", &"é".repeat(201), 200).is_err());
        assert!(clean_line("title", "a\u{0007}b", 200).is_err());
        assert!(clean_line("title", "a\nb", 200).is_err());
    }

    #[test]
    fn text_allows_line_breaks_but_not_other_controls() {
        assert!(clean_text("description", "", 10).is_ok());
        assert!(clean_text("description", "a\nb\tc", 10).is_ok());
        assert!(clean_text("description", "a\u{0000}", 10).is_err());
    }

    #[test]
    fn list_sizes_name_the_field() {
        let err = check_list_len("userIds", &[0; 3], 1, 2).err();
        assert!(matches!(err, Some(Error::Validation { field, .. }) if field == "userIds"));
        assert!(check_list_len::<u8>("userIds", &[], 1, 2).is_err());
    }
}

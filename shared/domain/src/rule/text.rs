//! Case-insensitive text comparisons that allocate nothing: the needle is lower-cased once when
//! the rule is compiled, the user's text is lower-cased char by char as it is compared.

fn lower(s: &str) -> impl DoubleEndedIterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

/// `text` equals `needle` (already lower-case), ignoring case.
pub fn eq(text: &str, needle: &str) -> bool {
    lower(text).eq(needle.chars())
}

pub fn starts_with(text: &str, needle: &str) -> bool {
    let mut hay = lower(text);
    needle.chars().all(|c| hay.next() == Some(c))
}

pub fn ends_with(text: &str, needle: &str) -> bool {
    let mut hay = lower(text).rev();
    needle.chars().rev().all(|c| hay.next() == Some(c))
}

pub fn contains(text: &str, needle: &str) -> bool {
    needle.is_empty()
        || text
            .char_indices()
            .any(|(i, _)| starts_with(&text[i..], needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_ignore_case_including_beyond_ascii() {
        assert!(eq("Ann@ACME.io", "ann@acme.io"));
        assert!(!eq("Ann", "an"));
        assert!(starts_with("Über Team", "über"));
        assert!(ends_with("Sales EMEA", "emea"));
        assert!(!ends_with("a", "ba"));
        assert!(contains("Direct SALES", "t sal"));
        assert!(contains("ÅSA", "sa"));
        assert!(!contains("abc", "abd"));
        assert!(contains("x", ""));
    }
}

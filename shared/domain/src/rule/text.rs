//! Case-insensitive text comparisons that allocate nothing: the needle is lower-cased once when
//! the rule is compiled, the user's text is lower-cased char by char as it is compared. ASCII
//! text (most of a directory) takes a byte-wise path: for ASCII, Unicode lower-casing is ASCII
//! lower-casing, and a non-ASCII needle can never match ASCII text byte for byte.

fn lower(s: &str) -> impl DoubleEndedIterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

/// `text` equals `needle` (already lower-case), ignoring case.
pub fn eq(text: &str, needle: &str) -> bool {
    if text.is_ascii() {
        return text.as_bytes().eq_ignore_ascii_case(needle.as_bytes());
    }
    lower(text).eq(needle.chars())
}

pub fn starts_with(text: &str, needle: &str) -> bool {
    if text.is_ascii() {
        let (text, needle) = (text.as_bytes(), needle.as_bytes());
        return text.len() >= needle.len() && text[..needle.len()].eq_ignore_ascii_case(needle);
    }
    let mut hay = lower(text);
    needle.chars().all(|c| hay.next() == Some(c))
}

pub fn ends_with(text: &str, needle: &str) -> bool {
    if text.is_ascii() {
        let (text, needle) = (text.as_bytes(), needle.as_bytes());
        return text.len() >= needle.len()
            && text[text.len() - needle.len()..].eq_ignore_ascii_case(needle);
    }
    let mut hay = lower(text).rev();
    needle.chars().rev().all(|c| hay.next() == Some(c))
}

pub fn contains(text: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if text.is_ascii() {
        let needle = needle.as_bytes();
        return text
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle));
    }
    text.char_indices()
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

    /// The ASCII path answers what the char-by-char path answers.
    #[test]
    fn the_ascii_path_agrees_with_unicode_lower_casing() {
        let texts = ["Sales EMEA", "ann@ACME.io", "k", "", "abc", "ABCABD"];
        // Lower-cased needles, some of them non-ASCII; "k" is also what the Kelvin sign becomes.
        let needles = ["sales", "emea", "acme.io", "k", "é", "ß", "", "abd", "cab"];
        for text in texts {
            for needle in needles {
                let slow_eq = lower(text).eq(needle.chars());
                let slow_starts = {
                    let mut hay = lower(text);
                    needle.chars().all(|c| hay.next() == Some(c))
                };
                let slow_ends = {
                    let mut hay = lower(text).rev();
                    needle.chars().rev().all(|c| hay.next() == Some(c))
                };
                let slow_contains = needle.is_empty()
                    || (0..=text.len()).any(|i| {
                        let mut hay = lower(&text[i..]);
                        needle.chars().all(|c| hay.next() == Some(c))
                    });
                assert_eq!(eq(text, needle), slow_eq, "eq {text:?} {needle:?}");
                assert_eq!(
                    starts_with(text, needle),
                    slow_starts,
                    "starts {text:?} {needle:?}"
                );
                assert_eq!(
                    ends_with(text, needle),
                    slow_ends,
                    "ends {text:?} {needle:?}"
                );
                assert_eq!(
                    contains(text, needle),
                    slow_contains,
                    "contains {text:?} {needle:?}"
                );
            }
        }
    }
}

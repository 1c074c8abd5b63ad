//! Case-insensitive text comparisons by Unicode full case folding (`ΟΔΟΣ`, `οδος` and `οδοσ`
//! are equal, `Straße` equals `STRASSE`), allocating nothing: the needle is folded once when
//! the rule is compiled, the user's text is folded char by char as it is compared. ASCII text
//! (most of a directory) takes a byte-wise path: ASCII folds to ASCII lower case, and a folded
//! needle with non-ASCII characters can never match ASCII text.

use caseless::Caseless;

/// Folds a needle once, at compile time.
pub fn fold(s: &str) -> String {
    caseless::default_case_fold_str(s)
}

fn folded(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().default_case_fold()
}

/// The fold of one character: full folding is context-free, so a text folds char by char,
/// which also lets `ends_with` fold from the end.
fn fold_char(c: char) -> impl DoubleEndedIterator<Item = char> {
    let mut out = ['\0'; 3];
    let mut len = 0;
    for f in std::iter::once(c).default_case_fold() {
        if len < out.len() {
            out[len] = f;
            len += 1;
        }
    }
    out.into_iter().take(len)
}

/// `text` equals `needle` (already folded), ignoring case.
pub fn eq(text: &str, needle: &str) -> bool {
    if text.is_ascii() {
        return text.as_bytes().eq_ignore_ascii_case(needle.as_bytes());
    }
    folded(text).eq(needle.chars())
}

pub fn starts_with(text: &str, needle: &str) -> bool {
    if text.is_ascii() {
        let (text, needle) = (text.as_bytes(), needle.as_bytes());
        return text.len() >= needle.len() && text[..needle.len()].eq_ignore_ascii_case(needle);
    }
    let mut hay = folded(text);
    needle.chars().all(|c| hay.next() == Some(c))
}

pub fn ends_with(text: &str, needle: &str) -> bool {
    if text.is_ascii() {
        let (text, needle) = (text.as_bytes(), needle.as_bytes());
        return text.len() >= needle.len()
            && text[text.len() - needle.len()..].eq_ignore_ascii_case(needle);
    }
    let mut hay = text.chars().rev().flat_map(|c| fold_char(c).rev());
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
    // A match may start inside the fold of one character (`ß` folds to `ss`, and `s` is in
    // it), so try every position of the folded text, not only of the text.
    text.char_indices().any(|(i, c)| {
        let rest = &text[i + c.len_utf8()..];
        (0..fold_char(c).count()).any(|skip| {
            let mut hay = fold_char(c).skip(skip).chain(folded(rest));
            needle.chars().all(|n| hay.next() == Some(n))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_ignore_case_by_full_folding() {
        assert!(eq("Ann@ACME.io", "ann@acme.io"));
        assert!(!eq("Ann", "an"));
        assert!(starts_with("Über Team", &fold("über")));
        assert!(ends_with("Sales EMEA", "emea"));
        assert!(!ends_with("a", "ba"));
        assert!(contains("Direct SALES", "t sal"));
        assert!(contains("ÅSA", "sa"));
        assert!(!contains("abc", "abd"));
        assert!(contains("x", ""));
        // Final and non-final sigma, in any case, are one letter.
        for text in ["ΟΔΟΣ", "οδος", "οδοσ"] {
            for needle in ["ΟΔΟΣ", "οδος", "οδοσ"] {
                assert!(eq(text, &fold(needle)), "{text} = {needle}");
                assert!(ends_with(text, &fold("ΟΣ")), "{text} ends with ΟΣ");
            }
        }
        assert!(eq("Straße", &fold("STRASSE")));
        assert!(eq("STRASSE", &fold("Straße")));
        assert!(starts_with("Straße", &fold("STRAS")));
        assert!(ends_with("Straße", &fold("SSE")));
        assert!(contains("Großstadt", &fold("SSST")));
        assert!(contains("Maß", "s"));
        assert!(!eq("Straße", &fold("Strase")));
    }

    /// The ASCII path answers what the folding path answers.
    #[test]
    fn the_ascii_path_agrees_with_full_folding() {
        let texts = ["Sales EMEA", "ann@ACME.io", "k", "", "abc", "ABCABD"];
        let needles = ["sales", "emea", "acme.io", "k", "é", "ss", "", "abd", "cab"];
        for text in texts {
            for needle in needles {
                let hay: String = folded(text).collect();
                assert_eq!(eq(text, needle), hay == needle, "eq {text:?} {needle:?}");
                assert_eq!(starts_with(text, needle), hay.starts_with(needle));
                assert_eq!(ends_with(text, needle), hay.ends_with(needle));
                assert_eq!(contains(text, needle), hay.contains(needle));
            }
        }
    }
}

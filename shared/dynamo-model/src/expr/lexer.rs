//! Tokens of DynamoDB expressions.

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// A bare word: an attribute name, a keyword or a function name.
    Word(String),
    /// `#name`
    Name(String),
    /// `:value`
    Value(String),
    /// The digits of a list index.
    Index(usize),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Splits an expression into tokens; `Err` names the first character it cannot read.
pub fn lex(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let take_word = |start: usize| {
        let mut end = start;
        while end < chars.len() && word_char(chars[end]) {
            end += 1;
        }
        (chars[start..end].iter().collect::<String>(), end)
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let (token, len) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => (Token::LParen, 1),
            ')' => (Token::RParen, 1),
            '[' => (Token::LBracket, 1),
            ']' => (Token::RBracket, 1),
            ',' => (Token::Comma, 1),
            '.' => (Token::Dot, 1),
            '+' => (Token::Plus, 1),
            '-' => (Token::Minus, 1),
            '=' => (Token::Eq, 1),
            '<' if next == Some('>') => (Token::Ne, 2),
            '<' if next == Some('=') => (Token::Le, 2),
            '<' => (Token::Lt, 1),
            '>' if next == Some('=') => (Token::Ge, 2),
            '>' => (Token::Gt, 1),
            '#' | ':' => {
                let (word, end) = take_word(i + 1);
                if word.is_empty() {
                    return Err(format!("Syntax error; token: \"{c}\", near: \"{c}\""));
                }
                out.push(if c == '#' {
                    Token::Name(format!("#{word}"))
                } else {
                    Token::Value(format!(":{word}"))
                });
                i = end;
                continue;
            }
            c if c.is_ascii_digit() && out.last() == Some(&Token::LBracket) => {
                let (word, end) = take_word(i);
                let n = word
                    .parse()
                    .map_err(|_| format!("Syntax error; token: \"{word}\""))?;
                out.push(Token::Index(n));
                i = end;
                continue;
            }
            c if word_char(c) => {
                let (word, end) = take_word(i);
                out.push(Token::Word(word));
                i = end;
                continue;
            }
            other => return Err(format!("Invalid character encountered; token: \"{other}\"")),
        };
        out.push(token);
        i += len;
    }
    Ok(out)
}

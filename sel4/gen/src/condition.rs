//! The `condition=` expressions of the 5.0 interface files: C preprocessor conditions over
//! `defined NAME`, `defined(NAME)`, integers, comparisons, `!`, `&&`, `||` and parentheses.

use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Defined,
    Name(String),
    Int(i64),
    Op(&'static str),
    Open,
    Close,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' || c == ')' {
            out.push(if c == '(' { Token::Open } else { Token::Close });
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push(if word == "defined" { Token::Defined } else { Token::Name(word) });
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let digits: String = chars[start..i].iter().collect();
            let digits = digits.trim_end_matches(['u', 'U', 'l', 'L']);
            out.push(Token::Int(digits.parse().map_err(|_| format!("bad number {digits:?}"))?));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = ["&&", "||", "==", "!=", ">=", "<="].into_iter().find(|o| *o == two);
            match (op, c) {
                (Some(op), _) => {
                    out.push(Token::Op(op));
                    i += 2;
                }
                (None, '>') | (None, '<') | (None, '!') => {
                    out.push(Token::Op(match c {
                        '>' => ">",
                        '<' => "<",
                        _ => "!",
                    }));
                    i += 1;
                }
                _ => return Err(format!("unexpected {c:?}")),
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    defines: &'a BTreeMap<String, String>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<i64, String> {
        let mut v = self.and()?;
        while self.peek() == Some(&Token::Op("||")) {
            self.pos += 1;
            let r = self.and()?;
            v = i64::from(v != 0 || r != 0);
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<i64, String> {
        let mut v = self.comparison()?;
        while self.peek() == Some(&Token::Op("&&")) {
            self.pos += 1;
            let r = self.comparison()?;
            v = i64::from(v != 0 && r != 0);
        }
        Ok(v)
    }

    fn comparison(&mut self) -> Result<i64, String> {
        let l = self.unary()?;
        let op = match self.peek() {
            Some(Token::Op(op @ (">" | "<" | ">=" | "<=" | "==" | "!="))) => *op,
            _ => return Ok(l),
        };
        self.pos += 1;
        let r = self.unary()?;
        Ok(i64::from(match op {
            ">" => l > r,
            "<" => l < r,
            ">=" => l >= r,
            "<=" => l <= r,
            "==" => l == r,
            _ => l != r,
        }))
    }

    fn unary(&mut self) -> Result<i64, String> {
        match self.next() {
            Some(Token::Op("!")) => Ok(i64::from(self.unary()? == 0)),
            Some(Token::Defined) => {
                let paren = self.peek() == Some(&Token::Open);
                if paren {
                    self.pos += 1;
                }
                let Some(Token::Name(name)) = self.next() else { return Err("`defined` needs a name".into()) };
                if paren && self.next() != Some(Token::Close) {
                    return Err("missing `)` after defined(".into());
                }
                Ok(i64::from(self.defines.contains_key(&name)))
            }
            Some(Token::Open) => {
                let v = self.or()?;
                if self.next() != Some(Token::Close) {
                    return Err("missing `)`".into());
                }
                Ok(v)
            }
            Some(Token::Int(n)) => Ok(n),
            // As in the C preprocessor, an undefined name is 0.
            Some(Token::Name(name)) => match self.defines.get(&name) {
                Some(v) => v
                    .trim()
                    .trim_end_matches(['u', 'U', 'l', 'L'])
                    .parse()
                    .map_err(|_| format!("{name} is {v:?}, not a number")),
                None => Ok(0),
            },
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

/// Evaluates a condition under `defines` (name -> value).
pub fn eval(text: &str, defines: &BTreeMap<String, String>) -> Result<bool, String> {
    let mut p = Parser { tokens: tokens(text)?, pos: 0, defines };
    let v = p.or()?;
    if p.pos != p.tokens.len() {
        return Err(format!("trailing tokens after {:?}", &p.tokens[..p.pos]));
    }
    Ok(v != 0)
}

#[cfg(test)]
mod tests {
    use super::eval;
    use std::collections::BTreeMap;

    #[test]
    fn the_forms_of_the_5_0_files() {
        let d: BTreeMap<String, String> = [("CONFIG_DEBUG_BUILD", "1"), ("CONFIG_MAX_NUM_NODES", "1")]
            .into_iter()
            .map(|(a, b)| (a.into(), b.into()))
            .collect();
        assert_eq!(eval("defined CONFIG_DEBUG_BUILD", &d), Ok(true));
        assert_eq!(eval("defined(CONFIG_VTX)", &d), Ok(false));
        assert_eq!(eval("CONFIG_MAX_NUM_NODES > 1", &d), Ok(false));
        assert_eq!(eval("CONFIG_MAX_NUM_NODES >= 1 && !defined(CONFIG_VTX)", &d), Ok(true));
        assert_eq!(eval("(defined CONFIG_VTX || CONFIG_UNKNOWN) || CONFIG_MAX_NUM_NODES == 1", &d), Ok(true));
        assert!(eval("defined", &d).is_err());
        assert!(eval("CONFIG_MAX_NUM_NODES > ", &d).is_err());
        assert!(eval("(1", &d).is_err());
        assert!(eval("1 2", &d).is_err());
    }
}

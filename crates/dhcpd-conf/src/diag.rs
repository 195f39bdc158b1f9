//! Diagnostics: errors and warnings with their place in the source, printed the way ISC prints
//! them (`FILE line N: message`, the source line, a caret) plus one line of help.

use std::fmt;
use std::rc::Rc;

use crate::lexer::Pos;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Makes the configuration fail (ISC's `parse_warn`, or a failing post-parse check).
    Error,
    /// Printed, but the configuration is still accepted.
    Warning,
}

/// Where a diagnostic points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name exactly as given on the command line or in `include`.
    pub file: Rc<str>,
    /// The token's position.
    pub pos: Pos,
    /// The whole source line, for display.
    pub line_text: String,
}

/// One error or warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where; `None` for messages ISC prints without a position.
    pub location: Option<Location>,
    /// The message, in ISC's words where ISC has one.
    pub message: String,
    /// What was expected or how to fix it (our addition to ISC's output).
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error without a position.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            location: None,
            message: message.into(),
            help: None,
        }
    }

    /// A warning without a position.
    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    /// Adds the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a position.
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Whether this makes the configuration fail.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The line number ISC would print, if the diagnostic has a position.
    pub fn line(&self) -> Option<u32> {
        self.location.as_ref().map(|l| l.pos.line)
    }
}

/// ISC's format: `FILE line N: message`, the line, a caret under the token (tabs expand to
/// multiples of 8), then `help: …` when there is help.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(loc) => {
                writeln!(f, "{} line {}: {}", loc.file, loc.pos.line, self.message)?;
                let (shown, col) = window(&loc.line_text, loc.pos.col as usize);
                writeln!(f, "{shown}")?;
                let mut width = 0usize;
                for c in shown.chars().take(col) {
                    width = if c == '\t' {
                        (width / 8 + 1) * 8
                    } else {
                        width + 1
                    };
                }
                write!(f, "{}^", " ".repeat(width))?;
            }
            None => write!(f, "{}", self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, "\nhelp: {help}")?;
        }
        Ok(())
    }
}

/// Longest source line shown whole; longer ones are cut to a window around the error.
const SHOWN_LINE: usize = 120;

/// The part of a long line to show (with `…` where it was cut) and the caret's character
/// column in it. `col` is the error's byte column in `line`.
fn window(line: &str, col: usize) -> (String, usize) {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let at = chars
        .iter()
        .position(|(b, _)| *b >= col)
        .unwrap_or(chars.len());
    if chars.len() <= SHOWN_LINE {
        return (line.to_string(), at);
    }
    let start = at.saturating_sub(SHOWN_LINE / 2);
    let end = (start + SHOWN_LINE).min(chars.len());
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(chars[start..end].iter().map(|(_, c)| *c));
    if end < chars.len() {
        shown.push('…');
    }
    (shown, at - start + usize::from(start > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_isc_with_help() {
        let d = Diagnostic::error("semicolon expected.")
            .at(Location {
                file: "dhcpd.conf".into(),
                pos: Pos {
                    line: 3,
                    col: 9,
                    offset: 0,
                },
                line_text: "\trange 10.0.0.1 10.0.0.9".into(),
            })
            .with_help("end the statement with `;`");
        assert_eq!(
            d.to_string(),
            "dhcpd.conf line 3: semicolon expected.\n\trange 10.0.0.1 10.0.0.9\n                ^\nhelp: end the statement with `;`"
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_error() {
        let line = format!("{}X{}", "a".repeat(5000), "b".repeat(5000));
        let (shown, col) = window(&line, 5000);
        assert!(shown.chars().count() <= SHOWN_LINE + 2);
        assert_eq!(shown.chars().nth(col), Some('X'));
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        let (short, c) = window("range 1.2.3.4;", 6);
        assert_eq!((short.as_str(), c), ("range 1.2.3.4;", 6));
    }
}

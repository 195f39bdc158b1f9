//! The dhcpd.conf (and dhcpd.leases) lexer.
//!
//! Tokens are recognised by hand over the raw bytes of one file (one table lookup per byte
//! gives its classes), following the rules of ISC's lexer exactly, because ISC's grammar
//! depends on them:
//!
//! * whitespace (ASCII `isspace`) and `#` comments separate tokens and are not returned;
//! * `"…"` is a [`TokKind::Str`] with ISC's escapes (`\t \r \n \b`, octal `\NNN`, hex `\xHH`,
//!   any other escaped character stands for itself);
//! * a token starting with a digit or `-` is a [`TokKind::Number`], promoted to
//!   [`TokKind::NumberOrName`] by a hex digit and to [`TokKind::Name`] by any other letter,
//!   `-` or `_` (never demoted; `0x` followed by hex is `NumberOrName`). Such tokens are never
//!   keywords. A lone `-` is a `Number` whose text is `-`, as in ISC;
//! * a token starting with a letter is a keyword if it is one ([`Kw`]), otherwise
//!   [`TokKind::NumberOrName`] unless one of its characters after the first is not a hex
//!   digit (then [`TokKind::Name`]). Dots are not part of names: `a.b` is three tokens;
//! * every other byte is a one-byte [`TokKind::Punct`] token.
//!
//! Positions: every token records the 1-based line and 0-based byte column of its first byte.
//! The end-of-file token takes the position of the last real token, as ISC's does.

use crate::keywords::Kw;

/// ISC's token buffer size: longer strings and names are cut with a warning.
pub const TOKEN_BUFFER: usize = 1500;

/// The byte ISC's lexer takes for end of file: it reads the file through a signed `char`,
/// so 0xFF becomes -1, its `EOF`. Unlike the real end, reading goes on after it: it ends a
/// comment or (with an error) a string, vanishes after a name or number, and elsewhere is
/// an end-of-file token. A UTF-16 file (byte order mark FF FE) is thus an empty file to ISC.
pub const ISC_EOF_BYTE: u8 = 0xff;

/// What kind of token this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    /// A quoted string; its value is the unescaped bytes.
    Str,
    /// Decimal digits (possibly with a leading `-`).
    Number,
    /// Hex digits only (`ab`, `0e`, `0x1f`): usable as a number in hex context or as a name.
    NumberOrName,
    /// An identifier that is not a keyword.
    Name,
    /// A reserved word.
    Kw(Kw),
    /// Any other single byte: `{ } ; , . : = ! ~ ( ) + - * / % & | ^ [ ]` and so on.
    Punct(u8),
    /// End of the file.
    Eof,
}

/// A position in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line number (0 before the first token, as in ISC).
    pub line: u32,
    /// 0-based byte column of the token's first byte.
    pub col: u32,
    /// Byte offset of the token's first byte in the file.
    pub offset: u32,
}

/// One token. Its text lives in the file buffer, or for a string with escapes in the lexer's
/// side table; see [`Lexer::text`]. Small and `Copy`, so peeking and consuming are cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// The token's kind.
    pub kind: TokKind,
    /// Where it starts.
    pub pos: Pos,
    /// Byte offset of the token's end in the file (its start is `pos.offset`; for strings the
    /// range includes the quotes).
    pub end: u32,
    /// Whether whitespace or a comment came directly before this token (ISC's raw-token
    /// mode, used to glue IPv6 addresses and similar multi-token values).
    pub space_before: bool,
    /// For a string whose value differs from its raw text (escapes, or cut to ISC's buffer):
    /// 1 + the index of the value in the lexer's side table; 0 otherwise (the text between
    /// the quotes is the value).
    pub escaped: u32,
}

impl Token {
    /// ISC's `is_identifier`: a name, a hex-like name or a keyword. Also a lone byte of 0x80
    /// or above: ISC's lexer returns such a byte as a (sign-extended, so huge) token number,
    /// which its `is_identifier` test accepts (`failover peer “x”` reads `\xe2` as the name).
    pub fn is_identifier(&self) -> bool {
        matches!(
            self.kind,
            TokKind::Name | TokKind::NumberOrName | TokKind::Kw(_)
        ) || matches!(self.kind, TokKind::Punct(c) if c >= 0x80)
    }

    /// Whether this is the given keyword.
    pub fn is_kw(&self, kw: Kw) -> bool {
        self.kind == TokKind::Kw(kw)
    }

    /// Whether this is the given punctuation byte.
    pub fn is_punct(&self, c: u8) -> bool {
        self.kind == TokKind::Punct(c)
    }

    /// Whether this is the end of the file.
    pub fn is_eof(&self) -> bool {
        self.kind == TokKind::Eof
    }
}

/// A problem the lexer found inside a token (ISC reports these as parse warnings, which make
/// the configuration fail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexWarning {
    /// The token it belongs to.
    pub pos: Pos,
    /// ISC's message.
    pub message: String,
}

/// The lexer for one file.
#[derive(Debug, Clone)]
pub struct Lexer<'a> {
    src: &'a [u8],
    offset: usize,
    line: u32,
    line_start: usize,
    last_pos: Pos,
    warnings: Vec<LexWarning>,
    /// Values of strings that differ from their raw text, indexed by [`Token::escaped`] - 1.
    escaped: Vec<Box<[u8]>>,
    /// ISC stopped reading (a fatal lexer error); every later token is `Eof`.
    fatal: bool,
}

/// ISC reads a run of whitespace into its token buffer and exits when the run fills it.
pub const WHITESPACE_RUN_LIMIT: usize = TOKEN_BUFFER;

/// Byte classes for the lexer, one table lookup per byte: C's `isspace` (in the "C" locale),
/// decimal digit, hex digit, name character (ISC: alphanumeric, `-`, `_`) and letter.
pub(crate) const SPACE: u8 = 1;
pub(crate) const DIGIT: u8 = 2;
pub(crate) const HEX: u8 = 4;
pub(crate) const NAME: u8 = 8;
pub(crate) const ALPHA: u8 = 16;

const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let mut f = 0;
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            f |= SPACE;
        }
        if b.is_ascii_digit() {
            f |= DIGIT | HEX | NAME;
        }
        if b.is_ascii_hexdigit() {
            f |= HEX;
        }
        if b.is_ascii_alphabetic() {
            f |= ALPHA | NAME;
        }
        if b == b'-' || b == b'_' {
            f |= NAME;
        }
        t[c] = f;
        c += 1;
    }
    t
};

/// The classes of byte `c`.
#[inline]
pub(crate) fn class(c: u8) -> u8 {
    CLASS[usize::from(c)]
}

/// The length of the run of name characters at the start of `i`, and the classes all of them
/// share (so `DIGIT` set means all digits, `HEX` all hex digits).
pub(crate) fn name_run(i: &[u8]) -> (usize, u8) {
    let mut all = DIGIT | HEX;
    let mut n = 0;
    for &c in i {
        let f = class(c);
        if f & NAME == 0 {
            break;
        }
        all &= f;
        n += 1;
    }
    (n, all)
}

/// A token starting with a digit or `-`: ISC's NUMBER → NUMBER_OR_NAME → NAME promotion.
/// Every following name character belongs to the token; the kind is `Number` when they are
/// all decimal digits, `NumberOrName` when they are all hex digits (or the token is `0x`
/// followed by hex digits only), `Name` otherwise.
fn number_like(i: &[u8]) -> (usize, TokKind) {
    let rest = i.get(1..).unwrap_or_default();
    let (n, all) = name_run(rest);
    let kind = if all & DIGIT != 0 {
        TokKind::Number
    } else if all & HEX != 0
        || (n >= 2
            && i[0] == b'0'
            && matches!(rest[0], b'x' | b'X')
            && rest[1..n].iter().all(u8::is_ascii_hexdigit))
    {
        TokKind::NumberOrName
    } else {
        TokKind::Name
    };
    (n + 1, kind)
}

/// A token starting with a letter: keyword, NUMBER_OR_NAME or NAME.
fn word(i: &[u8]) -> (usize, TokKind) {
    // The length first (the hex test is needed only for words that are not keywords).
    let n = i
        .iter()
        .position(|&c| class(c) & NAME == 0)
        .unwrap_or(i.len());
    let kind = match Kw::lookup_in(i, n) {
        Some(kw) => TokKind::Kw(kw),
        None if i[1..n].iter().all(|&c| class(c) & HEX != 0) => TokKind::NumberOrName,
        None => TokKind::Name,
    };
    (n, kind)
}

/// Result of scanning a quoted string.
struct StrScan {
    /// Bytes consumed, including both quotes (or up to EOF).
    len: usize,
    /// The unescaped value, when it differs from the raw text.
    unescaped: Option<Vec<u8>>,
    warnings: Vec<String>,
}

/// A quoted string with ISC's escapes; `i` starts just after the opening quote.
fn string_body(i: &[u8]) -> StrScan {
    // Fast path: no escape before the closing quote and short enough, so the value is the
    // raw text between the quotes and nothing needs to be copied.
    if let Some(k) = i
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c == ISC_EOF_BYTE)
        && i[k] == b'"'
        && k < TOKEN_BUFFER
    {
        return StrScan {
            len: k + 2,
            unescaped: None,
            warnings: Vec::new(),
        };
    }
    // ISC's read_string, step by step: `slot` is its index into the token buffer. Each
    // character or finished escape fills a slot; a bad hex or (non-zero) octal digit uses
    // one without filling it; reading stops when the buffer is full, and the rest of the
    // string, closing quote included, is read as more tokens.
    let mut out: Vec<u8> = Vec::new();
    let mut warnings = Vec::new();
    let mut k = 0;
    let mut slot = 0usize;
    // The slot the last byte of `out` was written to (an octal escape cut short writes a 0
    // that the next character overwrites).
    let mut written: Option<usize> = None;
    let mut write = |out: &mut Vec<u8>, slot: usize, b: u8| {
        if written == Some(slot) {
            if let Some(last) = out.last_mut() {
                *last = b;
            }
        } else {
            out.push(b);
            written = Some(slot);
        }
    };
    let (mut bs, mut hex, mut value) = (0u8, false, 0u32);
    let mut closed = false;
    let mut full = false;
    while slot < TOKEN_BUFFER || {
        full = true;
        false
    } {
        let Some(&c) = i.get(k) else { break };
        k += 1;
        if c == ISC_EOF_BYTE {
            break;
        }
        if bs == 1 {
            match c {
                b't' => write(&mut out, slot, b'\t'),
                b'r' => write(&mut out, slot, b'\r'),
                b'n' => write(&mut out, slot, b'\n'),
                b'b' => write(&mut out, slot, 0x08),
                b'0'..=b'3' => {
                    (hex, value, bs) = (false, u32::from(c - b'0'), 2);
                    continue;
                }
                b'x' => {
                    (hex, value, bs) = (true, 0, 2);
                    continue;
                }
                _ => write(&mut out, slot, c),
            }
            bs = 0;
            slot += 1;
        } else if bs > 1 {
            if hex {
                match (c as char).to_digit(16) {
                    Some(d) => value = value * 16 + d,
                    None => {
                        warnings.push(format!("invalid hex digit: {}", isc_hex(c)));
                        bs = 0;
                        slot += 1;
                        continue;
                    }
                }
            } else if (b'0'..=b'7').contains(&c) {
                value = value * 8 + u32::from(c - b'0');
            } else if value != 0 {
                // The slot is used, and the escape goes on with the next character.
                warnings.push(format!("invalid octal digit {}", isc_hex(c)));
                slot += 1;
                continue;
            } else {
                write(&mut out, slot, 0);
                bs = 0;
            }
            bs += 1;
            if bs == 4 {
                write(&mut out, slot, value as u8);
                bs = 0;
                slot += 1;
            }
        } else if c == b'\\' {
            bs = 1;
        } else if c == b'"' {
            closed = true;
            break;
        } else {
            write(&mut out, slot, c);
            slot += 1;
        }
    }
    if full {
        warnings.push("string constant larger than internal buffer".to_string());
        out.truncate(TOKEN_BUFFER - 1);
    } else if !closed {
        warnings.push("eof in string constant".to_string());
    }
    StrScan {
        len: k + 1,
        unescaped: Some(out),
        warnings,
    }
}

/// A character as ISC prints it with `%x`: from a signed `char`, so bytes from 0x80 on are
/// sign-extended (`ffffffbf`).
fn isc_hex(c: u8) -> String {
    format!("{:x}", c as i8 as i32 as u32)
}

impl<'a> Lexer<'a> {
    /// A lexer over one file's bytes.
    pub fn new(src: &'a [u8]) -> Self {
        Lexer::resume(src, 0, 1)
    }

    /// A lexer over a piece of a file that resumes at byte `offset` of `src`, which is on
    /// line `line` of the file (for reading a large file piece by piece: positions are then
    /// offsets into `src`, lines are the file's).
    pub fn resume(src: &'a [u8], offset: usize, line: u32) -> Self {
        let offset = offset.min(src.len());
        let line_start = src[..offset]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |i| i + 1);
        Lexer {
            src,
            offset,
            line,
            line_start,
            last_pos: Pos::default(),
            warnings: Vec::new(),
            escaped: Vec::new(),
            fatal: false,
        }
    }

    /// Where the next token will be scanned from: the byte offset (before any whitespace)
    /// and its line.
    pub fn position(&self) -> (usize, u32) {
        (self.offset, self.line)
    }

    /// Whether ISC would have exited while reading (see [`WHITESPACE_RUN_LIMIT`]).
    pub fn is_fatal(&self) -> bool {
        self.fatal
    }

    /// The file's bytes.
    pub fn source(&self) -> &'a [u8] {
        self.src
    }

    /// Whether [`Lexer::take_warnings`] has anything to hand over (checked per token, so the
    /// common case does not move an empty vector around).
    pub fn has_warnings(&self) -> bool {
        !self.warnings.is_empty()
    }

    /// Warnings found while scanning, in order; drained by the caller.
    pub fn take_warnings(&mut self) -> Vec<LexWarning> {
        std::mem::take(&mut self.warnings)
    }

    fn advance_lines(&mut self, upto: usize) {
        for (k, &c) in self.src[self.offset..upto].iter().enumerate() {
            if c == b'\n' {
                self.line += 1;
                self.line_start = self.offset + k + 1;
            }
        }
        self.offset = upto;
    }

    /// Skips whitespace and comments, counting lines; returns the number of bytes skipped.
    fn skip_trivia(&mut self) -> usize {
        let from = self.offset;
        let mut i = from;
        // Length of the current run of whitespace, as ISC reads it: a comment consumes the
        // newline that ends it, so that newline starts no run.
        let mut run = 0usize;
        let mut after_comment = false;
        while let Some(&c) = self.src.get(i) {
            if class(c) & SPACE != 0 {
                if !std::mem::take(&mut after_comment) {
                    run += 1;
                    if run >= WHITESPACE_RUN_LIMIT {
                        self.warnings.push(LexWarning {
                            pos: self.last_pos,
                            message: "whitespace too long, buffer overflow.".to_string(),
                        });
                        self.fatal = true;
                        self.offset = self.src.len();
                        return i - from;
                    }
                }
            } else {
                run = 0;
                after_comment = false;
            }
            if c == b'\n' {
                i += 1;
                self.line += 1;
                self.line_start = i;
            } else if class(c) & SPACE != 0 {
                i += 1;
            } else if c == b'#' {
                after_comment = true;
                // To the end of the line; the newline itself is counted above. ISC's end of
                // file byte ends the comment too, and is consumed.
                match self.src[i..]
                    .iter()
                    .position(|&c| c == b'\n' || c == ISC_EOF_BYTE)
                {
                    Some(k) if self.src[i + k] == ISC_EOF_BYTE => {
                        i += k + 1;
                        after_comment = false;
                    }
                    Some(k) => i += k,
                    None => i = self.src.len(),
                }
            } else {
                break;
            }
        }
        self.offset = i;
        i - from
    }

    /// Scans the next token.
    #[inline]
    pub fn next_token(&mut self) -> Token {
        let skipped = self.skip_trivia();
        let start = self.offset;
        let pos = Pos {
            line: self.line,
            col: (start - self.line_start) as u32,
            offset: start as u32,
        };
        let rest = &self.src[start..];
        let Some(&c) = rest.first() else {
            return Token {
                kind: TokKind::Eof,
                pos: self.last_pos,
                end: start as u32,
                space_before: skipped > 0,
                escaped: 0,
            };
        };
        if c == ISC_EOF_BYTE {
            self.offset = start + 1;
            return Token {
                kind: TokKind::Eof,
                pos: self.last_pos,
                end: start as u32,
                space_before: skipped > 0,
                escaped: 0,
            };
        }
        let mut escaped = 0;
        let (len, kind) = if c == b'"' {
            let scan = string_body(&rest[1..]);
            for message in scan.warnings {
                self.warnings.push(LexWarning { pos, message });
            }
            if let Some(u) = scan.unescaped {
                self.escaped.push(u.into_boxed_slice());
                escaped = self.escaped.len() as u32;
            }
            (scan.len, TokKind::Str)
        } else if c.is_ascii_digit() || c == b'-' {
            number_like(rest)
        } else if class(c) & ALPHA != 0 {
            word(rest)
        } else {
            (1, TokKind::Punct(c))
        };
        if kind != TokKind::Str && len >= TOKEN_BUFFER {
            let what = if c.is_ascii_alphabetic() {
                "token larger than internal buffer"
            } else {
                "numeric token larger than internal buffer"
            };
            self.warnings.push(LexWarning {
                pos,
                message: what.to_string(),
            });
        }
        if kind == TokKind::Str {
            self.advance_lines(start + len);
        } else {
            // Only a string can hold a newline.
            self.offset = start + len;
            // ISC's end-of-file byte right after a name or number vanishes (ISC cannot put
            // its EOF back).
            if !matches!(kind, TokKind::Punct(_))
                && self.src.get(self.offset) == Some(&ISC_EOF_BYTE)
            {
                self.offset += 1;
            }
        }
        self.last_pos = pos;
        Token {
            kind,
            pos,
            end: (start + len) as u32,
            space_before: skipped > 0,
            escaped,
        }
    }

    /// Goes on scanning right after byte `end`, as if the last token scanned had been the
    /// one at `last` (which ends at `end`, on the same line). The caller has read the tokens
    /// up to there itself (a run of numbers, see `Cursor::fast_numbers`).
    pub(crate) fn resume_after(&mut self, last: Pos, end: usize) {
        self.offset = end;
        self.line = last.line;
        self.line_start = (last.offset - last.col) as usize;
        self.last_pos = last;
    }

    /// The raw text of a token (for strings: the value, unescaped).
    pub fn text(&self, tok: &Token) -> &[u8] {
        token_text(self.src, &self.escaped, tok)
    }

    /// The table of string values that differ from their raw text (see [`Token::escaped`]).
    pub fn escaped(&self) -> &[Box<[u8]>] {
        &self.escaped
    }
}

/// The text of a token in `src` (for strings: the value, unescaped); `escaped` is the lexer's
/// side table ([`Lexer::escaped`]).
pub fn token_text<'t>(src: &'t [u8], escaped: &'t [Box<[u8]>], tok: &Token) -> &'t [u8] {
    if tok.escaped != 0 {
        return escaped
            .get(tok.escaped as usize - 1)
            .map_or(&[][..], |u| &u[..]);
    }
    if tok.kind == TokKind::Eof || tok.kind == TokKind::Punct(0) {
        // Its position is the last real token's; its text is empty. A NUL byte's text is
        // empty too, as ISC's C string of it is.
        return &[];
    }
    let (s, e) = (tok.pos.offset as usize, tok.end as usize);
    let raw = src.get(s..e).unwrap_or_default();
    if tok.kind == TokKind::Str {
        // Strip the quotes (the closing one may be missing at end of file).
        let inner = raw.get(1..).unwrap_or_default();
        inner.strip_suffix(b"\"").unwrap_or(inner)
    } else {
        raw
    }
}

/// The whole source line that `pos` is on (without its newline), for diagnostics.
pub fn line_text(src: &[u8], pos: Pos) -> &[u8] {
    let off = (pos.offset as usize).min(src.len());
    let start = src[..off]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let end = src[off..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(src.len(), |p| off + p);
    &src[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(s: &str) -> Vec<(TokKind, String)> {
        let mut l = Lexer::new(s.as_bytes());
        let mut v = Vec::new();
        loop {
            let t = l.next_token();
            if t.is_eof() {
                return v;
            }
            let text = String::from_utf8_lossy(l.text(&t)).into_owned();
            v.push((t.kind, text));
        }
    }

    #[test]
    fn classifies_like_isc() {
        use TokKind::*;
        let toks = lex("subnet 10.0.0.0 ab 0x1f 123xyz face -5 - foo_bar g \"a\\tb\" ;");
        let kinds: Vec<_> = toks.iter().map(|t| t.0).collect();
        assert_eq!(
            kinds,
            vec![
                Kw(crate::keywords::Kw::Subnet),
                Number,
                Punct(b'.'),
                Number,
                Punct(b'.'),
                Number,
                Punct(b'.'),
                Number,
                NumberOrName,
                NumberOrName,
                Name,
                NumberOrName,
                Number,
                Number,
                Name,
                NumberOrName,
                Str,
                Punct(b';'),
            ]
        );
        assert_eq!(toks[16].1, "a\tb");
        assert_eq!(toks[13].1, "-");
    }

    #[test]
    fn comments_and_positions() {
        let src = "# comment\n  host x { # c2\n}\n";
        let mut l = Lexer::new(src.as_bytes());
        let t = l.next_token();
        assert_eq!((t.pos.line, t.pos.col), (2, 2));
        let t = l.next_token();
        assert_eq!((t.pos.line, t.pos.col), (2, 7));
        l.next_token();
        let t = l.next_token();
        assert_eq!(
            (t.pos.line, t.pos.col, t.kind),
            (3, 0, TokKind::Punct(b'}'))
        );
        let eof = l.next_token();
        assert!(eof.is_eof());
        assert_eq!(eof.pos.line, 3, "EOF takes the last token's position");
    }

    #[test]
    fn string_escapes_and_eof() {
        let toks = lex(r#""\101\x42\"\\z""#);
        assert_eq!(toks[0].1, "AB\"\\z");
        let mut l = Lexer::new(b"\"abc");
        let t = l.next_token();
        assert_eq!(t.kind, TokKind::Str);
        assert_eq!(l.text(&t), b"abc");
        assert_eq!(l.take_warnings()[0].message, "eof in string constant");
    }

    /// Every token up to the real end of the input, `Eof` tokens from 0xFF included.
    fn lex_bytes(src: &[u8]) -> (Vec<(TokKind, Vec<u8>)>, Vec<String>) {
        let mut l = Lexer::new(src);
        let mut v = Vec::new();
        loop {
            let t = l.next_token();
            if t.is_eof() && l.offset >= src.len() {
                let w = l.take_warnings().into_iter().map(|w| w.message).collect();
                return (v, w);
            }
            v.push((t.kind, l.text(&t).to_vec()));
        }
    }

    #[test]
    fn byte_ff_is_isc_end_of_file_but_reading_goes_on() {
        use TokKind::*;
        // Between tokens: an end-of-file token, then the rest of the file.
        let (t, _) = lex_bytes(b"xx \xff yy");
        assert_eq!(
            t,
            vec![
                (Name, b"xx".to_vec()),
                (Eof, vec![]),
                (Name, b"yy".to_vec())
            ]
        );
        // Right after a name or number: gone.
        let (t, _) = lex_bytes(b"ab\xffcd 12\xff;");
        let kinds: Vec<_> = t.iter().map(|t| t.0).collect();
        assert_eq!(kinds, vec![NumberOrName, NumberOrName, Number, Punct(b';')]);
        // In a comment: the comment ends there.
        let (t, _) = lex_bytes(b"# caf\xff xx\nyy");
        assert_eq!(t, vec![(Name, b"xx".to_vec()), (Name, b"yy".to_vec())]);
        // In a string: ISC's "eof in string constant", and the string ends there.
        let (t, w) = lex_bytes(b"\"ab\xffc zz");
        assert_eq!(t[0], (Str, b"ab".to_vec()));
        assert_eq!(t[1], (NumberOrName, b"c".to_vec()));
        assert_eq!(w, vec!["eof in string constant".to_string()]);
        // A UTF-16 file starts with FF FE: to ISC, an end of file first.
        let (t, _) = lex_bytes(b"\xff\xfes\0");
        assert_eq!(t[0].0, Eof);
    }

    #[test]
    fn whitespace_run_of_a_token_buffer_is_fatal() {
        let run = |ws: usize, before: &str| {
            let src = format!("a;{before}{}b", " ".repeat(ws));
            let mut l = Lexer::new(src.as_bytes());
            while !l.next_token().is_eof() {}
            (l.is_fatal(), l.take_warnings())
        };
        assert!(!run(TOKEN_BUFFER - 1, "").0);
        let (fatal, w) = run(TOKEN_BUFFER, "");
        assert!(fatal);
        assert_eq!(w[0].message, "whitespace too long, buffer overflow.");
        assert_eq!(w[0].pos.col, 1, "at the last token read, the `;`");
        // A comment consumes its newline: that newline is not part of the next run.
        assert!(!run(TOKEN_BUFFER - 1, "#c\n").0);
        assert!(run(TOKEN_BUFFER - 1, "#c\n\n").0);
    }

    #[test]
    fn strings_are_read_like_isc_read_string() {
        // The buffer holds 1,500 slots: a longer string stops there, cut to 1,499 bytes, and
        // its rest (closing quote included) is read as more tokens.
        let src = format!("\"{}\";", "x".repeat(1600));
        let (t, w) = lex_bytes(src.as_bytes());
        assert_eq!(t[0].0, TokKind::Str);
        assert_eq!(t[0].1.len(), TOKEN_BUFFER - 1);
        assert_eq!(t[1], (TokKind::Name, vec![b'x'; 100]));
        assert_eq!(t[2].0, TokKind::Str, "the closing quote opens a string");
        assert_eq!(
            w,
            vec![
                "string constant larger than internal buffer".to_string(),
                "eof in string constant".to_string()
            ]
        );
        // A bad octal digit after a non-zero one uses a slot and the escape goes on (here
        // `\\1` `8` `2` `3` → 0o123); after `\\0` it writes a 0 that the next character,
        // read as an escape, replaces.
        let (t, w) = lex_bytes(b"\"\\1823\\0zn\"");
        assert_eq!(t[0], (TokKind::Str, b"S\n".to_vec()));
        assert_eq!(w, vec!["invalid octal digit 38".to_string()]);
        let (_, w) = lex_bytes(b"\"\\1\xbf23\"");
        assert_eq!(w, vec!["invalid octal digit ffffffbf".to_string()]);
    }

    #[test]
    fn line_text_finds_the_line() {
        let src = b"a;\nbb cc;\nd";
        let mut l = Lexer::new(src);
        for _ in 0..3 {
            l.next_token();
        }
        let t = l.next_token();
        assert_eq!(line_text(src, t.pos), b"bb cc;");
    }

    /// ISC's promotion rules as a byte-at-a-time state machine (how ISC's `read_number`
    /// reads them): the reference for the run-based classification.
    fn reference_number_like(i: &[u8]) -> (usize, TokKind) {
        let mut kind = TokKind::Number;
        let mut len = 1;
        for (idx, &c) in i.iter().enumerate().skip(1) {
            let name_char = c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
            kind = match kind {
                TokKind::Number if c.is_ascii_digit() => TokKind::Number,
                TokKind::Number | TokKind::NumberOrName if c.is_ascii_hexdigit() => {
                    TokKind::NumberOrName
                }
                _ if idx == 2
                    && c.is_ascii_hexdigit()
                    && i[0] == b'0'
                    && matches!(i[1], b'x' | b'X') =>
                {
                    TokKind::NumberOrName
                }
                _ if name_char => TokKind::Name,
                _ => break,
            };
            len += 1;
        }
        (len, kind)
    }

    #[test]
    fn numbers_classify_like_the_state_machine() {
        let alphabet = b"019aAfgxX-_ .:";
        let mut word = Vec::new();
        let mut checked = 0;
        for first in [b'0', b'1', b'-'] {
            for n in 0..alphabet.len().pow(4) {
                word.clear();
                word.push(first);
                let mut k = n;
                for _ in 0..4 {
                    word.push(alphabet[k % alphabet.len()]);
                    k /= alphabet.len();
                }
                assert_eq!(
                    number_like(&word),
                    reference_number_like(&word),
                    "{:?}",
                    String::from_utf8_lossy(&word)
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 3 * 14usize.pow(4));
        assert_eq!(number_like(b"0x1f;"), (4, TokKind::NumberOrName));
        assert_eq!(number_like(b"0x"), (2, TokKind::Name));
        assert_eq!(number_like(b"-"), (1, TokKind::Number));
    }
}

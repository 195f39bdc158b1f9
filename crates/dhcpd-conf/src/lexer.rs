//! The dhcpd.conf (and dhcpd.leases) lexer.
//!
//! Tokens are recognised by nom parsers over the raw bytes of one file (the recognisers
//! below: `trivia`, `word`, `number_like`, `string`, `lexeme`), whose predicates are
//! one lookup per byte in a 256-entry table of byte classes. They follow the rules of ISC's
//! lexer exactly, because ISC's grammar depends on them:
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

use nom::branch::alt;
use nom::combinator::{map, opt};
use nom::error::ErrorKind;
use nom::sequence::preceded;
use nom::{IResult, Input, Parser};

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

fn is_space(c: u8) -> bool {
    class(c) & SPACE != 0
}

fn is_name_char(c: u8) -> bool {
    class(c) & NAME != 0
}

// ---------------------------------------------------------------------------------------------
// Token recognisers: nom parsers over the file's bytes, with the class table as predicates.
//
// Each one recognises one kind of lexeme at the start of its input and returns the rest. The
// error type is `()`: a recogniser that does not match costs one failed byte test and tells
// nothing more, which is all the lexer needs (every byte starts some token, so the lexer never
// reports a nom error; ISC's lexical problems are warnings attached to tokens).
// ---------------------------------------------------------------------------------------------

/// What a token recogniser returns: the rest of the input and what it recognised.
type Scan<'a, O> = IResult<&'a [u8], O, ()>;

/// One byte for which `pred` holds: nom's `satisfy` for bytes, and its `tag` or `take(1)`
/// for one byte (those go through `Input::take_from`, which nom does not mark inline: a
/// function call per token).
#[inline]
fn byte_where(pred: impl Fn(u8) -> bool) -> impl Fn(&[u8]) -> Scan<'_, u8> {
    move |i: &[u8]| match i.split_first() {
        Some((&c, rest)) if pred(c) => Ok((rest, c)),
        _ => Err(nom::Err::Error(())),
    }
}

/// The longest run of at least one byte for which `pred` holds: nom's `take_while1`.
/// Written over [`Input::split_at_position1_complete`], as nom's own complete parsers are,
/// without the detour of nom 8's `take_while1` through `Input::take_from`, which nom does
/// not mark inline (a function call per token).
#[inline]
fn bytes_while1(pred: impl Fn(u8) -> bool) -> impl Fn(&[u8]) -> Scan<'_, &[u8]> {
    move |i: &[u8]| i.split_at_position1_complete(|c| !pred(c), ErrorKind::TakeWhile1)
}

/// The longest run of bytes up to the first for which `pred` holds: nom's `take_till`.
#[inline]
fn bytes_till(pred: impl Fn(u8) -> bool) -> impl Fn(&[u8]) -> Scan<'_, &[u8]> {
    move |i: &[u8]| i.split_at_position_complete(&pred)
}

/// ISC's end-of-file byte 0xFF.
fn isc_eof(i: &[u8]) -> Scan<'_, u8> {
    byte_where(|c| c == ISC_EOF_BYTE)(i)
}

/// What separates tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trivia<'a> {
    /// A run of whitespace (C's `isspace`), newlines included.
    Space(&'a [u8]),
    /// A `#` comment up to (not including) its newline; `eof_byte` when ISC's end-of-file
    /// byte ended it instead (that byte is consumed with the comment).
    Comment { eof_byte: bool },
}

/// A run of whitespace.
fn space_run(i: &[u8]) -> Scan<'_, &[u8]> {
    bytes_while1(is_space)(i)
}

/// A `#` comment: to the end of the line, or through ISC's end-of-file byte.
fn comment(i: &[u8]) -> Scan<'_, bool> {
    let (i, _) = byte_where(|c| c == b'#')(i)?;
    let (i, _) = bytes_till(|c| c == b'\n' || c == ISC_EOF_BYTE)(i)?;
    let (i, eof_byte) = opt(isc_eof).parse(i)?;
    Ok((i, eof_byte.is_some()))
}

/// Whitespace or a comment (the first byte tells which).
#[inline]
fn trivia(i: &[u8]) -> Scan<'_, Trivia<'_>> {
    match i.first() {
        Some(b'#') => map(comment, |eof_byte| Trivia::Comment { eof_byte }).parse(i),
        _ => map(space_run, Trivia::Space).parse(i),
    }
}

/// A run of name characters (ISC: alphanumeric, `-`, `_`), possibly empty, and the classes
/// all of them share (so `DIGIT` set means all digits, `HEX` all hex digits).
#[inline]
pub(crate) fn name_chars(i: &[u8]) -> Scan<'_, (&[u8], u8)> {
    // nom's `take_while(is_name_char)` that also gathers the classes on the way (one pass;
    // the parser of every number, and of the address fast path).
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
    let (run, rest) = i.split_at(n);
    Ok((rest, (run, all)))
}

/// The length of the run of name characters at the start of `i`, and the classes all of them
/// share (see [`name_chars`]).
#[inline]
pub(crate) fn name_run(i: &[u8]) -> (usize, u8) {
    match name_chars(i) {
        Ok((_, (run, all))) => (run.len(), all),
        Err(_) => (0, DIGIT | HEX),
    }
}

/// A token starting with a digit or `-`: ISC's NUMBER → NUMBER_OR_NAME → NAME promotion.
/// Every following name character belongs to the token; the kind is `Number` when they are
/// all decimal digits, `NumberOrName` when they are all hex digits (or the token is `0x`
/// followed by hex digits only), `Name` otherwise.
#[inline]
fn number_like(i: &[u8]) -> Scan<'_, TokKind> {
    let (rest, first) = byte_where(|c| c.is_ascii_digit() || c == b'-')(i)?;
    let (rest, (run, all)) = name_chars(rest)?;
    let kind = if all & DIGIT != 0 {
        TokKind::Number
    } else if all & HEX != 0 || (first == b'0' && hex_prefixed(run)) {
        TokKind::NumberOrName
    } else {
        TokKind::Name
    };
    Ok((rest, kind))
}

/// `x` (or `X`) and at least one hex digit, nothing else: what follows the `0` of `0x1f`.
fn hex_prefixed(run: &[u8]) -> bool {
    let hex_digits = bytes_while1(|c: u8| c.is_ascii_hexdigit());
    matches!(
        preceded(byte_where(|c| c == b'x' || c == b'X'), hex_digits).parse(run),
        Ok((rest, _)) if rest.is_empty()
    )
}

/// A token starting with a letter: keyword, NUMBER_OR_NAME or NAME.
#[inline]
fn word(i: &[u8]) -> Scan<'_, TokKind> {
    // A letter, then name characters: the letter is one of them.
    byte_where(|c| class(c) & ALPHA != 0)(i)?;
    let (rest, w) = bytes_while1(is_name_char)(i)?;
    // The hex test is needed only for words that are not keywords.
    let kind = match Kw::lookup_in(i, w.len()) {
        Some(kw) => TokKind::Kw(kw),
        None if w[1..].iter().all(|&c| class(c) & HEX != 0) => TokKind::NumberOrName,
        None => TokKind::Name,
    };
    Ok((rest, kind))
}

/// A name or number (ISC's `read_num_or_name`), and its length: ISC's end-of-file byte right
/// after it vanishes (ISC cannot put its EOF back), so it is consumed but not part of it.
#[inline]
fn atom<'a>(
    recognise: impl Fn(&'a [u8]) -> Scan<'a, TokKind>,
) -> impl Fn(&'a [u8]) -> Scan<'a, Lexeme> {
    move |i: &'a [u8]| {
        let (rest, kind) = recognise(i)?;
        let len = i.len() - rest.len();
        let rest = isc_eof(rest).map_or(rest, |(after, _)| after);
        Ok((rest, Lexeme::Token(kind, len)))
    }
}

/// A quoted string whose value differs from its raw text, read as ISC's `read_string` reads
/// it.
struct StrScan {
    /// The unescaped value.
    unescaped: Vec<u8>,
    warnings: Vec<String>,
}

/// A quoted string: the opening quote, then its body. `None` when the value is the raw text
/// between the quotes (boxed otherwise, as it is rare: the common result stays small).
fn string(i: &[u8]) -> Scan<'_, Option<Box<StrScan>>> {
    let (body, _) = byte_where(|c| c == b'"')(i)?;
    alt((plain_string_body, escaped_string_body)).parse(body)
}

/// The common case: no escape before the closing quote and short enough, so the value is the
/// raw text between the quotes and nothing needs to be copied.
fn plain_string_body(i: &[u8]) -> Scan<'_, Option<Box<StrScan>>> {
    let (rest, text) = bytes_till(|c| c == b'"' || c == b'\\' || c == ISC_EOF_BYTE)(i)?;
    if text.len() >= TOKEN_BUFFER {
        return Err(nom::Err::Error(()));
    }
    let (rest, _) = byte_where(|c| c == b'"')(rest)?;
    Ok((rest, None))
}

/// Any other string body: ISC's `read_string`, step by step. `slot` is its index into the
/// token buffer. Each character or finished escape fills a slot; a bad hex or (non-zero)
/// octal digit uses one without filling it; reading stops when the buffer is full, and the
/// rest of the string, closing quote included, is left to be read as more tokens. Runs of
/// plain characters are taken whole; escapes go byte by byte, as their rules are ISC's
/// state machine's (a bad octal digit after a non-zero one keeps the escape going; `\0`
/// then a bad digit writes a 0 that the next character, read as an escape, replaces).
/// Never fails.
fn escaped_string_body(i: &[u8]) -> Scan<'_, Option<Box<StrScan>>> {
    let mut out: Vec<u8> = Vec::new();
    let mut warnings = Vec::new();
    let mut k = 0;
    let mut slot = 0usize;
    // The slot the last byte of `out` was written to (an octal escape cut short writes a 0
    // that the next character overwrites).
    let mut written: Option<usize> = None;
    let write = |out: &mut Vec<u8>, written: &mut Option<usize>, slot: usize, b: u8| {
        if *written == Some(slot) {
            if let Some(last) = out.last_mut() {
                *last = b;
            }
        } else {
            out.push(b);
            *written = Some(slot);
        }
    };
    let (mut bs, mut hex, mut value) = (0u8, false, 0u32);
    let mut closed = false;
    let mut full = false;
    while slot < TOKEN_BUFFER || {
        full = true;
        false
    } {
        if bs == 0 {
            // Plain characters up to the next quote, backslash or end-of-file byte, as many
            // as there are slots left; each fills its own slot.
            let (_, run) =
                bytes_till(|c| c == b'"' || c == b'\\' || c == ISC_EOF_BYTE).parse(&i[k..])?;
            let n = run.len().min(TOKEN_BUFFER - slot);
            if n > 0 {
                out.extend_from_slice(&run[..n]);
                written = Some(slot + n - 1);
                slot += n;
                k += n;
                continue;
            }
        }
        let Some(&c) = i.get(k) else { break };
        k += 1;
        if c == ISC_EOF_BYTE {
            break;
        }
        if bs == 1 {
            match c {
                b't' => write(&mut out, &mut written, slot, b'\t'),
                b'r' => write(&mut out, &mut written, slot, b'\r'),
                b'n' => write(&mut out, &mut written, slot, b'\n'),
                b'b' => write(&mut out, &mut written, slot, 0x08),
                b'0'..=b'3' => {
                    (hex, value, bs) = (false, u32::from(c - b'0'), 2);
                    continue;
                }
                b'x' => {
                    (hex, value, bs) = (true, 0, 2);
                    continue;
                }
                _ => write(&mut out, &mut written, slot, c),
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
                write(&mut out, &mut written, slot, 0);
                bs = 0;
            }
            bs += 1;
            if bs == 4 {
                write(&mut out, &mut written, slot, value as u8);
                bs = 0;
                slot += 1;
            }
        } else if c == b'\\' {
            bs = 1;
        } else {
            // The closing quote (a plain character would have been taken with its run).
            closed = true;
            break;
        }
    }
    if full {
        warnings.push("string constant larger than internal buffer".to_string());
        out.truncate(TOKEN_BUFFER - 1);
    } else if !closed {
        warnings.push("eof in string constant".to_string());
    }
    Ok((
        &i[k..],
        Some(Box::new(StrScan {
            unescaped: out,
            warnings,
        })),
    ))
}

/// What one token is, as recognised.
enum Lexeme {
    /// A name, number, keyword or punctuation byte of `len` bytes.
    Token(TokKind, usize),
    /// A quoted string (its length is what the recogniser consumed), with its value when
    /// that is not its raw text.
    Str(Option<Box<StrScan>>),
    /// ISC's end-of-file byte where a token starts.
    EofByte,
}

/// Any other byte is a one-byte punctuation token.
fn punct(i: &[u8]) -> Scan<'_, TokKind> {
    map(byte_where(|_| true), TokKind::Punct).parse(i)
}

/// One token at the start of `i` (which starts after any trivia); fails only on empty input.
/// The first byte decides which recogniser reads it (each byte starts exactly one kind of
/// token, so trying them in turn, as `alt` would, only costs failed byte tests).
#[inline]
fn lexeme(i: &[u8]) -> Scan<'_, Lexeme> {
    let Some(&c) = i.first() else {
        return Err(nom::Err::Error(()));
    };
    match c {
        b'a'..=b'z' | b'A'..=b'Z' => atom(word)(i),
        b'0'..=b'9' | b'-' => atom(number_like)(i),
        b'"' => map(string, Lexeme::Str).parse(i),
        ISC_EOF_BYTE => map(isc_eof, |_| Lexeme::EofByte).parse(i),
        _ => map(punct, |kind| Lexeme::Token(kind, 1)).parse(i),
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

    /// Counts the newlines in `src[from..upto]` (`upto` excluded).
    fn count_lines(&mut self, from: usize, upto: usize) {
        for (k, &c) in self.src[from..upto].iter().enumerate() {
            if c == b'\n' {
                self.line += 1;
                self.line_start = from + k + 1;
            }
        }
    }

    /// Skips whitespace and comments ([`trivia`]), counting lines; returns the number of
    /// bytes skipped.
    fn skip_trivia(&mut self) -> usize {
        let from = self.offset;
        let mut input = &self.src[from..];
        // Length of the current run of whitespace, as ISC reads it: a comment consumes the
        // newline that ends it, so that newline starts no run.
        let mut run = 0usize;
        let mut after_comment = false;
        while let Ok((rest, t)) = trivia(input) {
            let at = self.src.len() - input.len();
            match t {
                Trivia::Space(ws) => {
                    let uncounted = usize::from(std::mem::take(&mut after_comment));
                    let counted = ws.len() - uncounted;
                    if run + counted >= WHITESPACE_RUN_LIMIT {
                        // ISC exits on the byte that fills its buffer (lines are counted up
                        // to it).
                        let k = uncounted + (WHITESPACE_RUN_LIMIT - run) - 1;
                        self.count_lines(at, at + k);
                        self.warnings.push(LexWarning {
                            pos: self.last_pos,
                            message: "whitespace too long, buffer overflow.".to_string(),
                        });
                        self.fatal = true;
                        self.offset = self.src.len();
                        return at + k - from;
                    }
                    run += counted;
                    if let Some(k) = ws.iter().rposition(|&c| c == b'\n') {
                        self.line += 1 + ws[..k].iter().filter(|&&c| c == b'\n').count() as u32;
                        self.line_start = at + k + 1;
                    }
                }
                Trivia::Comment { eof_byte } => {
                    run = 0;
                    after_comment = !eof_byte;
                }
            }
            input = rest;
        }
        self.offset = self.src.len() - input.len();
        self.offset - from
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
        let eof = |last_pos| Token {
            kind: TokKind::Eof,
            pos: last_pos,
            end: start as u32,
            space_before: skipped > 0,
            escaped: 0,
        };
        let Ok((after, lexeme)) = lexeme(rest) else {
            // Only the end of the input matches nothing.
            return eof(self.last_pos);
        };
        let consumed = rest.len() - after.len();
        let mut escaped = 0;
        let (kind, len) = match lexeme {
            Lexeme::EofByte => {
                self.offset = start + consumed;
                return eof(self.last_pos);
            }
            Lexeme::Str(scan) => {
                if let Some(scan) = scan {
                    for message in scan.warnings {
                        self.warnings.push(LexWarning { pos, message });
                    }
                    self.escaped.push(scan.unescaped.into_boxed_slice());
                    escaped = self.escaped.len() as u32;
                }
                // Only a string can hold a newline.
                self.advance_lines(start + consumed);
                (TokKind::Str, consumed)
            }
            Lexeme::Token(kind, len) => {
                if len >= TOKEN_BUFFER {
                    let what = if rest[0].is_ascii_alphabetic() {
                        "token larger than internal buffer"
                    } else {
                        "numeric token larger than internal buffer"
                    };
                    self.warnings.push(LexWarning {
                        pos,
                        message: what.to_string(),
                    });
                }
                self.offset = start + consumed;
                (kind, len)
            }
        };
        self.last_pos = pos;
        Token {
            kind,
            pos,
            end: (start + len) as u32,
            space_before: skipped > 0,
            escaped,
        }
    }

    /// Goes on scanning from byte `next` (the end of the token at `last`, or one past it
    /// when ISC's end-of-file byte vanished there; on the same line), as if the last token
    /// scanned had been the one at `last`. The caller has read the tokens up to there itself
    /// (a run of numbers, see `Cursor::fast_numbers`).
    pub(crate) fn resume_after(&mut self, last: Pos, next: usize) {
        self.offset = next;
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

    /// [`number_like`] as (length, kind).
    fn number_like_len(i: &[u8]) -> (usize, TokKind) {
        let (rest, kind) = number_like(i).expect("starts with a digit or -");
        (i.len() - rest.len(), kind)
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
                    number_like_len(&word),
                    reference_number_like(&word),
                    "{:?}",
                    String::from_utf8_lossy(&word)
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 3 * 14usize.pow(4));
        assert_eq!(number_like_len(b"0x1f;"), (4, TokKind::NumberOrName));
        assert_eq!(number_like_len(b"0x"), (2, TokKind::Name));
        assert_eq!(number_like_len(b"-"), (1, TokKind::Number));
        assert_eq!(number_like_len(b"0X0"), (3, TokKind::NumberOrName));
        assert!(number_like(b"a1").is_err(), "a word, not a number");
    }

    struct RefScan {
        len: usize,
        unescaped: Option<Vec<u8>>,
        warnings: Vec<String>,
    }

    /// The string reader before the nom recognisers (one loop over bytes, from ISC's
    /// read_string): the reference the recognisers are checked against.
    fn reference_string_body(i: &[u8]) -> RefScan {
        // Fast path: no escape before the closing quote and short enough, so the value is the
        // raw text between the quotes and nothing needs to be copied.
        if let Some(k) = i
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c == ISC_EOF_BYTE)
            && i[k] == b'"'
            && k < TOKEN_BUFFER
        {
            return RefScan {
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
        RefScan {
            len: k + 1,
            unescaped: Some(out),
            warnings,
        }
    }

    #[test]
    fn string_recogniser_agrees_with_the_byte_loop() {
        let alphabet: [&[u8]; 22] = [
            b"a", b"b", b" ", b"\"", b"\\", b"t", b"n", b"0", b"1", b"3", b"7", b"8", b"x", b"f",
            b"g", b"\xff", b"\0", b"\n", b"\\x", b"\\1", b"\\0", b"\x80",
        ];
        let mut seed: u64 = 0x5851_f42d_4c95_7f2d;
        let mut next = |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        let mut escaped = 0;
        for round in 0..30000 {
            let mut body = Vec::new();
            for _ in 0..next(12) {
                body.extend_from_slice(alphabet[next(alphabet.len())]);
            }
            // Some near and past ISC's buffer of 1,500 slots.
            if round % 50 == 0 {
                let n = TOKEN_BUFFER - 4 + next(8);
                let at = next(body.len() + 1);
                body.splice(at..at, std::iter::repeat_n(b'y', n));
            }
            let mut src = vec![b'"'];
            src.extend_from_slice(&body);
            let (rest, scan) = string(&src).expect("a quote starts a string");
            let len = src.len() - rest.len();
            let want = reference_string_body(&src[1..]);
            assert_eq!(len, want.len, "{:?}", String::from_utf8_lossy(&src));
            let value = |u: Option<Vec<u8>>| u.unwrap_or_else(|| src[1..len - 1].to_vec());
            escaped += usize::from(scan.is_some());
            let (got, warnings) =
                scan.map_or((None, Vec::new()), |s| (Some(s.unescaped), s.warnings));
            assert_eq!(value(got), value(want.unescaped), "{src:?}");
            assert_eq!(warnings, want.warnings, "{src:?}");
        }
        assert!(escaped > 1000, "{escaped}");
    }
}

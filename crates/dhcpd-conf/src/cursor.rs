//! The token cursor: ISC's `peek_token` / `next_token` over one file, with its error positions.
//!
//! ISC reports every parse error at the **last token consumed** (a token that was only peeked
//! does not move the position), and the end-of-file token sits where the last real token was.
//! The parsers in this crate consume and peek exactly where ISC's do, so the line numbers in
//! our errors are ISC's line numbers; then they add a `help` line.

use std::rc::Rc;

use crate::basic::small_number;
use crate::diag::{Diagnostic, Location, Severity};
use crate::keywords::Kw;
use crate::lexer::{
    ALPHA, DIGIT, HEX, Lexer, Pos, TokKind, Token, class, line_text, name_run, token_text,
};

/// A token stream over one file, with the diagnostics found so far.
#[derive(Debug)]
#[allow(clippy::should_implement_trait)]
pub struct Cursor<'a> {
    file: Rc<str>,
    file_id: u32,
    lexer: Lexer<'a>,
    /// Tokens scanned but not consumed: `ahead[head..]` (a plain vector emptied whenever it
    /// is drained, cheaper per token than a ring buffer; lookahead is a few tokens at most).
    ahead: Vec<Token>,
    head: usize,
    last: Pos,
    diags: Vec<Diagnostic>,
    /// How many diagnostics there were when the lexer hit a fatal error (ISC exits there:
    /// nothing reported later counts).
    fatal_at: Option<usize>,
    /// The last NUL token a peek returned (see [`Cursor::peek`]).
    ghost: Token,
}

#[allow(clippy::should_implement_trait)]
impl<'a> Cursor<'a> {
    /// A cursor over `src`, which is the file called `file` (as the user named it).
    /// `file_id` is the caller's index for this file; it is stored in spans.
    pub fn new(file: Rc<str>, file_id: u32, src: &'a [u8]) -> Self {
        Cursor::resume(file, file_id, src, 0, 1)
    }

    /// A cursor over a piece of a file that resumes at byte `offset` of `src`, on line `line`
    /// of the file (see [`Lexer::resume`]).
    pub fn resume(file: Rc<str>, file_id: u32, src: &'a [u8], offset: usize, line: u32) -> Self {
        Cursor {
            file,
            file_id,
            lexer: Lexer::resume(src, offset, line),
            ahead: Vec::new(),
            head: 0,
            last: Pos::default(),
            diags: Vec::new(),
            fatal_at: None,
            ghost: Token {
                kind: TokKind::Eof,
                pos: Pos::default(),
                end: 0,
                space_before: false,
                escaped: 0,
            },
        }
    }

    /// Where a new cursor must resume to continue exactly here: the offset and line of the
    /// first token not consumed yet (a peeked one, or the next one to scan).
    pub fn resume_point(&self) -> (usize, u32) {
        match self.ahead.get(self.head) {
            Some(t) if t.kind != TokKind::Eof => (t.pos.offset as usize, t.pos.line),
            _ => self.lexer.position(),
        }
    }

    /// Whether a token has been peeked at and not consumed yet.
    pub fn has_peeked(&self) -> bool {
        self.head < self.ahead.len()
    }

    /// Whether the lexer has reached the last line of the source: if the source is a piece
    /// of a larger file, a token or comment may have been cut at its end, and so may the
    /// line a diagnostic echoes (the lexer can stop short of the end, e.g. at ISC's
    /// end-of-file byte 0xFF inside a string, with the rest of the line beyond the piece).
    pub fn reached_end(&self) -> bool {
        let (at, _) = self.lexer.position();
        let src = self.lexer.source();
        src.get(at..).is_none_or(|rest| !rest.contains(&b'\n'))
    }

    /// The file's name as the user wrote it.
    pub fn file(&self) -> &Rc<str> {
        &self.file
    }

    /// The caller's index for this file.
    pub fn file_id(&self) -> u32 {
        self.file_id
    }

    /// The file's bytes.
    pub fn source(&self) -> &'a [u8] {
        self.lexer.source()
    }

    /// Scans one token from the file, reporting the lexer's warnings.
    fn scan(&mut self) -> Token {
        let tok = self.lexer.next_token();
        if self.lexer.has_warnings() {
            for w in self.lexer.take_warnings() {
                let loc = self.location(w.pos);
                self.diags.push(Diagnostic::error(w.message).at(loc));
            }
            if self.lexer.is_fatal() && self.fatal_at.is_none() {
                self.fatal_at = Some(self.diags.len());
            }
        }
        tok
    }

    fn fill(&mut self, n: usize) {
        while self.ahead.len() - self.head <= n {
            let tok = self.scan();
            self.ahead.push(tok);
        }
    }

    /// Looks at the next token without consuming it (ISC's `peek_token`).
    ///
    /// ISC keeps a peeked token in a field where 0 means "none", so the token of a NUL byte
    /// (value 0) is seen by the peek that reads it and is gone for the next look.
    pub fn peek(&mut self) -> &Token {
        self.fill(0);
        if self.ahead[self.head].kind == TokKind::Punct(0) {
            self.ghost = self.ahead.remove(self.head);
            return &self.ghost;
        }
        &self.ahead[self.head]
    }

    /// How many tokens have been scanned but not consumed yet.
    pub fn pending(&self) -> usize {
        self.ahead.len() - self.head
    }

    /// Looks `n` tokens ahead (0 = the next one). ISC's `save_parse_state` lookahead.
    pub fn peek_nth(&mut self, n: usize) -> &Token {
        self.fill(n);
        &self.ahead[self.head + n]
    }

    /// The kind of the next token.
    pub fn peek_kind(&mut self) -> TokKind {
        self.peek().kind
    }

    /// Consumes the next token (ISC's `next_token`); errors now point at it.
    pub fn next(&mut self) -> Token {
        let tok = match self.ahead.get(self.head) {
            Some(&tok) => {
                self.head += 1;
                if self.head == self.ahead.len() {
                    self.ahead.clear();
                    self.head = 0;
                }
                tok
            }
            None => self.scan(),
        };
        self.last = tok.pos;
        tok
    }

    /// Consumes the next token and forgets it (ISC's `skip_token`).
    pub fn skip(&mut self) {
        let _ = self.next();
    }

    /// The text of a token of this file (for strings: the unescaped value).
    pub fn text(&self, tok: &Token) -> &[u8] {
        token_text(self.lexer.source(), self.lexer.escaped(), tok)
    }

    /// The text of a token, borrowing the file rather than the cursor: `None` for a string
    /// whose value is in the lexer's side table (see [`Token::escaped`]).
    pub fn source_text(&self, tok: &Token) -> Option<&'a [u8]> {
        (tok.escaped == 0).then(|| token_text(self.lexer.source(), &[], tok))
    }

    /// The text of a token as a `String` (lossy for non-UTF-8 bytes in strings).
    pub fn string(&self, tok: &Token) -> String {
        String::from_utf8_lossy(self.text(tok)).into_owned()
    }

    /// The next token is the given keyword.
    pub fn peek_is_kw(&mut self, kw: Kw) -> bool {
        self.peek().is_kw(kw)
    }

    /// The next token is the given punctuation.
    pub fn peek_is(&mut self, c: u8) -> bool {
        self.peek().is_punct(c)
    }

    /// The position errors are reported at now: the last consumed token.
    pub fn pos(&self) -> Pos {
        self.last
    }

    /// A location in this file.
    pub fn location(&self, pos: Pos) -> Location {
        Location {
            file: self.file.clone(),
            pos,
            line_text: String::from_utf8_lossy(line_text(self.lexer.source(), pos)).into_owned(),
        }
    }

    /// Reports an error at the last consumed token (ISC's `parse_warn`).
    pub fn error(&mut self, message: impl Into<String>) {
        let loc = self.location(self.last);
        self.diags.push(Diagnostic::error(message).at(loc));
    }

    /// Reports an error at the last consumed token, with a help line.
    pub fn error_help(&mut self, message: impl Into<String>, help: impl Into<String>) {
        let loc = self.location(self.last);
        self.diags
            .push(Diagnostic::error(message).at(loc).with_help(help));
    }

    /// Reports a warning (does not fail the configuration) at the last consumed token.
    pub fn warning(&mut self, message: impl Into<String>) {
        let loc = self.location(self.last);
        self.diags.push(Diagnostic::warning(message).at(loc));
    }

    /// Adds a diagnostic made elsewhere (for example by an included file's cursor).
    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Whether an error has been reported in this file so far.
    pub fn has_errors(&self) -> bool {
        self.diags.iter().any(|d| d.severity == Severity::Error)
    }

    /// Number of diagnostics so far (to tell whether a sub-parser reported one).
    pub fn diag_count(&self) -> usize {
        self.diags.len()
    }

    /// Takes the diagnostics out.
    pub fn take_diagnostics(&mut self) -> Vec<Diagnostic> {
        if let Some(n) = self.fatal_at {
            self.diags.truncate(n);
        }
        std::mem::take(&mut self.diags)
    }

    /// Whether the lexer hit an error on which ISC exits (the parse must stop).
    pub fn is_fatal(&self) -> bool {
        self.fatal_at.is_some()
    }

    /// The diagnostics so far.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diags
    }

    /// The start of ISC's `parse_numeric_aggregate` read from the file's bytes instead of
    /// token by token, for the common case of numbers written without spaces (`10.0.0.1`,
    /// `00:16:3e:01:02:03`): consumes numbers of `base` that fit in `bits` (handing each to
    /// `sink`), joined by `sep`, and returns how many (0: nothing consumed). Afterwards the
    /// cursor is exactly where reading the same tokens one by one leaves it (the last number
    /// consumed, errors pointing at it); anything unusual (spaces, signs, prefixes, large or
    /// bad digits, a separator not followed by a number) stops the run and is left to the
    /// token-by-token loop, which reports errors as ISC does.
    pub(crate) fn fast_numbers(
        &mut self,
        count: Option<usize>,
        sep: u8,
        base: u32,
        bits: u32,
        sink: &mut impl FnMut(u32),
    ) -> usize {
        let first = *self.peek();
        if !matches!(first.kind, TokKind::Number | TokKind::NumberOrName) {
            return 0;
        }
        // Tokens already scanned are scanned again after the run: only when that cannot
        // repeat a side effect (strings may add to the lexer's side table; long tokens warn).
        if self.ahead[self.head..]
            .iter()
            .any(|t| t.kind == TokKind::Str || t.end - t.pos.offset > 64)
        {
            return 0;
        }
        let src = self.lexer.source();
        let start = first.pos.offset as usize;
        let mut i = start;
        let (mut n, mut last) = (0, (0, 0));
        loop {
            let tail = src.get(i..).unwrap_or_default();
            let Some(&c) = tail.first() else { break };
            let (len, all) = name_run(tail);
            // The token the lexer reads here: digits only are a number; hex digits are one in
            // base 16 (a word of one or two hex letters is never a keyword: a test checks).
            let number = if class(c) & DIGIT != 0 {
                all & DIGIT != 0 || (base == 16 && all & HEX != 0)
            } else {
                class(c) & ALPHA != 0 && base == 16 && len <= 2 && all & HEX != 0
            };
            let Some(v) = number
                .then(|| small_number(&tail[..len], base, bits))
                .flatten()
            else {
                break;
            };
            sink(v);
            n += 1;
            last = (i, i + len);
            if count == Some(n) {
                break;
            }
            if src.get(last.1) == Some(&sep)
                && src
                    .get(last.1 + 1)
                    .is_some_and(|&d| class(d) & (DIGIT | ALPHA) != 0)
            {
                i = last.1 + 1;
            } else {
                break;
            }
        }
        if n > 0 {
            let pos = Pos {
                line: first.pos.line,
                col: first.pos.col + (last.0 - start) as u32,
                offset: last.0 as u32,
            };
            self.ahead.clear();
            self.head = 0;
            self.lexer.resume_after(pos, last.1);
            self.last = pos;
        }
        n
    }

    /// ISC's `skip_to_rbrace(cfile, depth)`: skips tokens up to and including the `}` that
    /// closes `depth` open braces, or up to and including a `;` at depth 0, or to end of file.
    pub fn skip_to_rbrace(&mut self, mut depth: u32) {
        loop {
            let kind = self.peek_kind();
            match kind {
                TokKind::Punct(b'}') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.skip();
                        return;
                    }
                }
                TokKind::Punct(b'{') => depth += 1,
                TokKind::Punct(b';') if depth == 0 => {
                    self.skip();
                    return;
                }
                _ => {}
            }
            if self.next().is_eof() {
                return;
            }
        }
    }

    /// ISC's `skip_to_semi`.
    pub fn skip_to_semi(&mut self) {
        self.skip_to_rbrace(0);
    }
}

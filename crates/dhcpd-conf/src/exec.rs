//! Executable statements and expressions (ISC's `common/parse.c` part of the grammar, and
//! dhcp-eval(5)).
//!
//! STUB written by the decl helper so that the declaration parser compiles before the exec
//! helper's real module lands; the exec helper's version replaces this file.

use std::fmt;

use crate::cursor::Cursor;
use crate::parser::Parser;

/// An executable statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Executable {}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {}

impl fmt::Display for Executable {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

/// The result of a sub-parser that may not apply to the tokens ahead.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed<T> {
    /// Parsed.
    Ok(T),
    /// Not this parser's statement: nothing consumed, nothing reported.
    NotMine,
    /// An error was reported (ISC's `lose`).
    Failed,
}

/// Where an expression or statement is parsed (ISC's `context_any` ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExprContext {
    /// Any statement.
    Any,
}

impl Parser<'_> {
    /// STUB: ISC's `parse_executable_statement`.
    pub(crate) fn parse_executable_statement(
        &mut self,
        c: &mut Cursor<'_>,
        ctx: ExprContext,
    ) -> Parsed<Executable> {
        let _ = (c, ctx);
        Parsed::NotMine
    }

    /// STUB: ISC's `parse_boolean_expression` (`None` without a new diagnostic = not an
    /// expression).
    pub(crate) fn parse_boolean_expression(&mut self, c: &mut Cursor<'_>) -> Option<Expr> {
        let _ = c;
        None
    }

    /// STUB: ISC's `parse_data_expression`.
    pub(crate) fn parse_data_expression(&mut self, c: &mut Cursor<'_>) -> Option<Expr> {
        let _ = c;
        None
    }
}

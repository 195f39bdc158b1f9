//! Executable statements and expressions (ISC's `common/parse.c` part of the grammar, and
//! dhcp-eval(5)).

/// An executable statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Executable {}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {}

//! The AST of a dhcpd.conf: declarations and statements with their source positions.
//!
//! Owned by the declaration parser ([`crate::decl`]); executable statements and expressions
//! are in [`crate::exec`].

use std::rc::Rc;

use crate::exec::Executable;
use crate::lexer::Pos;

/// Where a node was written: file index (into [`Config::files`]) and position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Index of the file in [`Config::files`].
    pub file: u32,
    /// Position in that file.
    pub pos: Pos,
}

/// A whole configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Names of the files read, main file first; [`Span::file`] indexes this.
    pub files: Vec<Rc<str>>,
    /// The statements of the global scope.
    pub statements: Vec<Stmt>,
}

/// A statement or declaration in any scope.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// An executable statement (options, parameters, conditionals, ...).
    Exec(Span, Executable),
}

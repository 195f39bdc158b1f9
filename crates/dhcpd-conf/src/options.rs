//! Option names, spaces, definitions and values in the configuration.
//!
//! STUB written by the decl helper so that the declaration parser compiles before the exec
//! helper's real module lands; the exec helper's version replaces this file.

use std::fmt;

use crate::cursor::Cursor;
use crate::exec::{Executable, Expr};
use crate::parser::Parser;

/// Option spaces and definitions known while parsing.
#[derive(Debug, Clone, Default)]
pub struct OptionState {}

impl OptionState {
    /// The built-in spaces (and, for `-6`, the v6 ones).
    pub fn new(v6: bool) -> Self {
        let _ = v6;
        OptionState {}
    }
}

/// An option name as written (`NAME` or `SPACE.NAME`) and whether it is defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionName {
    /// The option space.
    pub space: String,
    /// The option's name.
    pub name: String,
    /// Whether the option is defined.
    pub known: bool,
}

impl fmt::Display for OptionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.space, self.name)
    }
}

/// STUB: `option space ...;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionSpaceDecl {}

/// STUB: `option NAME code N = TYPE;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionDef {}

impl fmt::Display for OptionSpaceDecl {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

impl fmt::Display for OptionDef {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

impl Parser<'_> {
    /// STUB: ISC's `parse_option_space_decl` (after `option space`... the `option` token
    /// consumed, `space` not yet).
    pub(crate) fn parse_option_space_decl(
        &mut self,
        c: &mut Cursor<'_>,
    ) -> Option<OptionSpaceDecl> {
        c.error("option space declarations are not implemented yet");
        c.skip_to_semi();
        None
    }

    /// STUB: ISC's `parse_option_name` (`None`: error reported).
    pub(crate) fn parse_option_name(
        &mut self,
        c: &mut Cursor<'_>,
        allocate: bool,
    ) -> Option<OptionName> {
        let _ = allocate;
        let t = c.next();
        let name = c.string(&t);
        Some(OptionName {
            space: "dhcp".into(),
            name,
            known: false,
        })
    }

    /// STUB: ISC's `parse_option_code_definition` (after `code`).
    pub(crate) fn parse_option_code_definition(
        &mut self,
        c: &mut Cursor<'_>,
        name: OptionName,
    ) -> Option<OptionDef> {
        let _ = name;
        c.error("option definitions are not implemented yet");
        c.skip_to_semi();
        None
    }

    /// STUB: ISC's `parse_option_statement` for a known option (name consumed).
    pub(crate) fn parse_option_statement(
        &mut self,
        c: &mut Cursor<'_>,
        name: OptionName,
    ) -> Option<Executable> {
        let _ = name;
        c.error("option statements are not implemented yet");
        c.skip_to_semi();
        None
    }

    /// STUB: ISC's `parse_option_data` (host-identifier values).
    pub(crate) fn parse_option_data(
        &mut self,
        c: &mut Cursor<'_>,
        name: &OptionName,
    ) -> Option<Expr> {
        let _ = name;
        c.error("option values are not implemented yet");
        None
    }

    /// STUB: the `dhcp-server-identifier` option, for `server-identifier ADDR;`.
    pub(crate) fn server_identifier_option(&self) -> OptionName {
        OptionName {
            space: "dhcp".into(),
            name: "dhcp-server-identifier".into(),
            known: true,
        }
    }
}

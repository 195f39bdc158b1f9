//! Executable statements and expressions (ISC's `common/parse.c` part of the grammar, and
//! dhcp-eval(5)): the AST, its canonical printer, and the parsers.
//!
//! The parsers follow ISC's functions token for token (where they peek and where they consume,
//! and how they recover), so errors come out with ISC's messages at ISC's line numbers.
//! ISC's `*lose` flag is kept internally; the entry points return [`Parsed`].
// The entry points are called by the declaration parser (decl.rs), which lands separately.
#![allow(dead_code)]

use std::fmt;
use std::net::Ipv6Addr;

use crate::basic::AddrOrName;
use crate::options::OptionName;

mod expr;
mod print;
pub use print::flat_ok;
mod stmt;

#[cfg(test)]
mod tests;

/// What a statement or expression parser produced (ISC's return value and `*lose` flag).
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed<T> {
    /// Parsed.
    Ok(T),
    /// ISC's "return 0 with `*lose` unset": the construct is not this parser's (normally
    /// nothing was consumed) — the caller reports its own error (`expecting a parameter or
    /// declaration`, `expecting a declaration` ...). In a few ISC paths an error was already
    /// printed and tokens skipped; ISC's caller still adds its message, and so must ours.
    NotMine,
    /// ISC's "return 0 with `*lose` set": the error is already reported (ISC's `lose`).
    Failed,
}

impl<T> Parsed<T> {
    /// The value, if parsed.
    pub fn ok(self) -> Option<T> {
        match self {
            Parsed::Ok(v) => Some(v),
            _ => None,
        }
    }
}

/// The type an expression is parsed for (ISC's `enum expression_context`). Also the context a
/// statement list is in: [`ExprContext::Any`] outside `switch`, or the switch expression's
/// type inside one (where `case` and `default:` are allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExprContext {
    /// Any type.
    Any,
    /// Boolean.
    Boolean,
    /// Data (byte strings).
    Data,
    /// Numbers.
    Numeric,
    /// Data or numbers (a `switch` expression).
    DataOrNumeric,
}

/// How an option statement was introduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptionOp {
    /// `option NAME VALUE;`
    Option,
    /// `supersede NAME VALUE;` (the same as `option` in the server).
    Supersede,
    /// `default NAME VALUE;`
    Default,
    /// `prepend NAME VALUE;`
    Prepend,
    /// `append NAME VALUE;`
    Append,
    /// `send NAME VALUE;`
    Send,
    /// A server parameter written by its bare name: `default-lease-time 600;`.
    Parameter,
}

impl OptionOp {
    /// The keyword introducing the statement (empty for a bare parameter).
    pub fn keyword(self) -> &'static str {
        match self {
            OptionOp::Option => "option",
            OptionOp::Supersede => "supersede",
            OptionOp::Default => "default",
            OptionOp::Prepend => "prepend",
            OptionOp::Append => "append",
            OptionOp::Send => "send",
            OptionOp::Parameter => "",
        }
    }
}

/// `if`: a condition, its statements, and what follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfStmt {
    /// The boolean condition.
    pub cond: Expr,
    /// The statements run when it holds.
    pub then: Vec<Executable>,
    /// `else`/`elsif`, if any.
    pub otherwise: Option<Else>,
}

/// What follows an `if` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Else {
    /// `else { … }`
    Block(Vec<Executable>),
    /// `else if …`
    ElseIf(Box<IfStmt>),
    /// `elsif …`
    Elsif(Box<IfStmt>),
}

/// A lease event of an `on` statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// `expiry`
    Expiry,
    /// `commit`
    Commit,
    /// `release`
    Release,
    /// `transmission`
    Transmission,
}

/// The priority of a `log` statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogPriority {
    /// `fatal`
    Fatal,
    /// `error`
    Error,
    /// `debug`
    Debug,
    /// `info`
    Info,
}

/// `allow`, `deny` or `ignore`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AllowVerb {
    /// `allow` (stores true).
    Allow,
    /// `deny` (stores false).
    Deny,
    /// `ignore` (stores 2: drop silently).
    Ignore,
}

/// The flag of an `allow`/`deny`/`ignore` statement (a `server` space parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AllowFlag {
    /// `bootp` (allow-bootp, code 8)
    Bootp,
    /// `booting` (allow-booting, 9)
    Booting,
    /// `dynamic-bootp` (7)
    DynamicBootp,
    /// `unknown-clients` (boot-unknown-clients, 6)
    UnknownClients,
    /// `duplicates` (28)
    Duplicates,
    /// `declines` (29)
    Declines,
    /// `client-updates` (40)
    ClientUpdates,
    /// `leasequery` (49)
    Leasequery,
}

impl AllowFlag {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            AllowFlag::Bootp => "bootp",
            AllowFlag::Booting => "booting",
            AllowFlag::DynamicBootp => "dynamic-bootp",
            AllowFlag::UnknownClients => "unknown-clients",
            AllowFlag::Duplicates => "duplicates",
            AllowFlag::Declines => "declines",
            AllowFlag::ClientUpdates => "client-updates",
            AllowFlag::Leasequery => "leasequery",
        }
    }

    /// The code of the `server` space parameter it sets.
    pub fn server_code(self) -> u32 {
        match self {
            AllowFlag::Bootp => 8,
            AllowFlag::Booting => 9,
            AllowFlag::DynamicBootp => 7,
            AllowFlag::UnknownClients => 6,
            AllowFlag::Duplicates => 28,
            AllowFlag::Declines => 29,
            AllowFlag::ClientUpdates => 40,
            AllowFlag::Leasequery => 49,
        }
    }
}

/// `zone NAME { … }`: the DNS servers and key for dynamic updates of a zone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Zone {
    /// The zone name, with the trailing `.` ISC adds.
    pub name: String,
    /// `primary …;`
    pub primary: Vec<AddrOrName>,
    /// `secondary …;`
    pub secondary: Vec<AddrOrName>,
    /// `primary6 …;`
    pub primary6: Vec<Ipv6Addr>,
    /// `secondary6 …;`
    pub secondary6: Vec<Ipv6Addr>,
    /// `key NAME;`
    pub key: Option<String>,
}

/// `key NAME { algorithm ALG; secret "BASE64"; }`
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Key {
    /// The key name.
    pub name: String,
    /// The algorithm as written (see [`Key::algorithm_fqdn`]).
    pub algorithm: Option<String>,
    /// The decoded secret.
    pub secret: Option<Vec<u8>>,
}

impl Key {
    /// The algorithm as ISC stores it: `.SIG-ALG.REG.INT.` appended to a name without dots,
    /// a trailing `.` added otherwise.
    pub fn algorithm_fqdn(&self) -> Option<String> {
        let a = self.algorithm.as_ref()?;
        Some(if !a.contains('.') {
            format!("{a}.SIG-ALG.REG.INT.")
        } else if a.ends_with('.') {
            a.clone()
        } else {
            format!("{a}.")
        })
    }
}

/// `db-time-format default|local;`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DbTimeFormat {
    /// `default`
    Default,
    /// `local`
    Local,
}

/// An executable statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Executable {
    /// `option`/`supersede`/`default`/`prepend`/`append`/`send` or a bare server parameter.
    Option {
        /// How it was written.
        op: OptionOp,
        /// Which option.
        name: OptionName,
        /// Its value.
        value: crate::options::OptionValue,
    },
    /// `if … { … } [elsif … | else …]`
    If(IfStmt),
    /// `switch (EXPR) { … }`
    Switch {
        /// The data or numeric expression switched on.
        expr: Expr,
        /// The statements, with `case` and `default:` labels among them.
        body: Vec<Executable>,
    },
    /// `case EXPR:`
    Case(Expr),
    /// `default:` inside a switch.
    SwitchDefault,
    /// `on EVENT [or EVENT …] { … }` (or `;` for no statements).
    On {
        /// The events.
        events: Vec<Event>,
        /// The statements (`None` for `on commit;`).
        body: Option<Vec<Executable>>,
    },
    /// `set NAME = EXPR;`
    Set {
        /// The variable.
        name: String,
        /// Its value.
        value: Expr,
    },
    /// `define NAME = EXPR;`
    Define {
        /// The variable.
        name: String,
        /// Its value.
        value: Expr,
    },
    /// `define NAME (ARGS) { … }` (or the same with `set`).
    Function {
        /// Written with `define` (else `set`).
        define: bool,
        /// The function name.
        name: String,
        /// Argument names.
        args: Vec<String>,
        /// Its statements.
        body: Vec<Executable>,
    },
    /// `unset NAME;`
    Unset(String),
    /// `eval EXPR;` (also a bare function call `NAME(…);`, which ISC parses as an eval).
    Eval(Expr),
    /// `execute ("COMMAND" [, DATA …]);`
    Execute {
        /// The program.
        command: Vec<u8>,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// `log ([PRIORITY,] DATA);`
    Log {
        /// The priority as written (ISC's default is `debug`).
        priority: Option<LogPriority>,
        /// The message.
        expr: Expr,
    },
    /// `add "CLASS";`
    Add(String),
    /// `break;`
    Break,
    /// `return EXPR;`
    Return(Expr),
    /// `allow|deny|ignore FLAG;`
    AllowDeny {
        /// The verb.
        verb: AllowVerb,
        /// The flag.
        flag: AllowFlag,
    },
    /// `zone NAME { … }`
    Zone(Zone),
    /// `key NAME { … }`
    Key(Key),
    /// `db-time-format …;`
    DbTimeFormat(DbTimeFormat),
    /// `parse-vendor-option;`
    ParseVendorOption,
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `~=`
    RegexMatch,
    /// `~~`
    IRegexMatch,
    /// `and`
    And,
    /// `or`
    Or,
    /// `+`
    Add,
    /// `-` (ISC's lexer never produces a lone minus, so this cannot be written)
    Subtract,
    /// `*`
    Multiply,
    /// `/`
    Divide,
    /// `%`
    Remainder,
    /// `&`
    BinaryAnd,
    /// `|`
    BinaryOr,
    /// `^`
    BinaryXor,
}

impl BinOp {
    /// How tightly it binds (ISC's `op_val`: larger binds tighter).
    pub fn precedence(self) -> u32 {
        match self {
            BinOp::Equal | BinOp::NotEqual | BinOp::RegexMatch | BinOp::IRegexMatch => 4,
            BinOp::And | BinOp::Or => 3,
            BinOp::Add | BinOp::Subtract => 2,
            BinOp::Multiply | BinOp::Divide | BinOp::Remainder => 1,
            BinOp::BinaryAnd | BinOp::BinaryOr | BinOp::BinaryXor => 100,
        }
    }

    /// The context its right-hand side is parsed in when it binds tighter than the
    /// operator before it (ISC's `op_context`).
    pub fn operand_context(self) -> ExprContext {
        match self {
            BinOp::Equal | BinOp::NotEqual | BinOp::RegexMatch | BinOp::IRegexMatch => {
                ExprContext::Data
            }
            BinOp::And | BinOp::Or => ExprContext::Boolean,
            _ => ExprContext::Numeric,
        }
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Equal => "=",
            BinOp::NotEqual => "!=",
            BinOp::RegexMatch => "~=",
            BinOp::IRegexMatch => "~~",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::Add => "+",
            BinOp::Subtract => "-",
            BinOp::Multiply => "*",
            BinOp::Divide => "/",
            BinOp::Remainder => "%",
            BinOp::BinaryAnd => "&",
            BinOp::BinaryOr => "|",
            BinOp::BinaryXor => "^",
        }
    }
}

/// Keywords that stand for numbers: DNS update results and client states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamedConst {
    /// `noerror`
    NoError,
    /// `formerr`
    FormErr,
    /// `servfail`
    ServFail,
    /// `nxdomain`
    NxDomain,
    /// `notimp`
    NotImp,
    /// `refused`
    Refused,
    /// `yxdomain`
    YxDomain,
    /// `yxrrset`
    YxRrset,
    /// `nxrrset`
    NxRrset,
    /// `notauth`
    NotAuth,
    /// `notzone`
    NotZone,
    /// `booting`
    Booting,
    /// `reboot`
    Reboot,
    /// `select`
    Select,
    /// `request`
    Request,
    /// `bound`
    Bound,
    /// `renew`
    Renew,
    /// `rebind`
    Rebind,
}

impl NamedConst {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            NamedConst::NoError => "noerror",
            NamedConst::FormErr => "formerr",
            NamedConst::ServFail => "servfail",
            NamedConst::NxDomain => "nxdomain",
            NamedConst::NotImp => "notimp",
            NamedConst::Refused => "refused",
            NamedConst::YxDomain => "yxdomain",
            NamedConst::YxRrset => "yxrrset",
            NamedConst::NxRrset => "nxrrset",
            NamedConst::NotAuth => "notauth",
            NamedConst::NotZone => "notzone",
            NamedConst::Booting => "booting",
            NamedConst::Reboot => "reboot",
            NamedConst::Select => "select",
            NamedConst::Request => "request",
            NamedConst::Bound => "bound",
            NamedConst::Renew => "renew",
            NamedConst::Rebind => "rebind",
        }
    }
}

/// An expression of dhcp-eval(5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    // Boolean.
    /// `check "COLLECTION"`
    Check(String),
    /// `exists OPTION`
    Exists(OptionName),
    /// `known`
    Known,
    /// `static`
    Static,
    /// `defined (VAR)`
    VariableExists(String),
    /// `not EXPR`
    Not(Box<Expr>),
    /// `LHS OP RHS`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    // Data.
    /// `substring (DATA, OFFSET, LENGTH)`
    Substring(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `suffix (DATA, LENGTH)`
    Suffix(Box<Expr>, Box<Expr>),
    /// `lcase (DATA)`
    Lcase(Box<Expr>),
    /// `ucase (DATA)`
    Ucase(Box<Expr>),
    /// `option OPTION` (from the client's packet)
    Option(OptionName),
    /// `config-option OPTION` (what the server would send)
    ConfigOption(OptionName),
    /// `hardware`
    Hardware,
    /// `packet (OFFSET, LENGTH)`
    Packet(Box<Expr>, Box<Expr>),
    /// A string or colon-separated hexadecimal constant.
    ConstData {
        /// The bytes.
        bytes: Vec<u8>,
        /// Written as hexadecimal (else as a quoted string).
        hex: bool,
    },
    /// `concat (DATA, DATA [, …])`
    Concat(Vec<Expr>),
    /// `binary-to-ascii (BASE, WIDTH, SEPARATOR, DATA)`
    BinaryToAscii(Box<Expr>, Box<Expr>, Box<Expr>, Box<Expr>),
    /// `reverse (WIDTH, DATA)`
    Reverse(Box<Expr>, Box<Expr>),
    /// `pick-first-value (DATA [, …])`
    PickFirstValue(Vec<Expr>),
    /// `encode-int (NUM, BITS)`
    EncodeInt(Box<Expr>, u8),
    /// `gethostbyname ("NAME")`
    HostLookup(String),
    /// `leased-address`
    LeasedAddress,
    /// `host-decl-name`
    HostDeclName,
    /// `filename`
    Filename,
    /// `server-name`
    ServerName,
    /// `null`
    Null,
    /// `gethostname ()`
    GetHostName,
    /// `v6relay (NUM, DATA)`
    V6Relay(Box<Expr>, Box<Expr>),
    // Numeric.
    /// `extract-int (DATA, BITS)`
    ExtractInt(Box<Expr>, u8),
    /// A decimal number (in a numeric context).
    ConstInt(i64),
    /// A keyword standing for a number.
    Named(NamedConst),
    /// `lease-time`
    LeaseTime,
    /// `client-state`
    ClientState,
    // Any type.
    /// A variable.
    Variable(String),
    /// `NAME (ARG [, …])`
    FunCall(String, Vec<Expr>),
}

impl Expr {
    /// ISC's `is_boolean_expression`.
    pub fn is_boolean(&self) -> bool {
        matches!(
            self,
            Expr::Check(_)
                | Expr::Exists(_)
                | Expr::VariableExists(_)
                | Expr::Not(_)
                | Expr::Known
                | Expr::Static
                | Expr::Binary(
                    BinOp::Equal
                        | BinOp::NotEqual
                        | BinOp::RegexMatch
                        | BinOp::IRegexMatch
                        | BinOp::And
                        | BinOp::Or,
                    _,
                    _
                )
        )
    }

    /// ISC's `is_data_expression`.
    pub fn is_data(&self) -> bool {
        matches!(
            self,
            Expr::Substring(..)
                | Expr::Suffix(..)
                | Expr::Lcase(_)
                | Expr::Ucase(_)
                | Expr::Option(_)
                | Expr::Hardware
                | Expr::ConstData { .. }
                | Expr::Packet(..)
                | Expr::Concat(_)
                | Expr::EncodeInt(..)
                | Expr::HostLookup(_)
                | Expr::BinaryToAscii(..)
                | Expr::Filename
                | Expr::ServerName
                | Expr::Reverse(..)
                | Expr::PickFirstValue(_)
                | Expr::HostDeclName
                | Expr::LeasedAddress
                | Expr::ConfigOption(_)
                | Expr::Null
                | Expr::GetHostName
                | Expr::V6Relay(..)
        )
    }

    /// ISC's `is_numeric_expression`.
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            Expr::ExtractInt(..)
                | Expr::ConstInt(_)
                | Expr::Named(_)
                | Expr::LeaseTime
                | Expr::ClientState
                | Expr::Binary(
                    BinOp::Add
                        | BinOp::Subtract
                        | BinOp::Multiply
                        | BinOp::Divide
                        | BinOp::Remainder
                        | BinOp::BinaryAnd
                        | BinOp::BinaryOr
                        | BinOp::BinaryXor,
                    _,
                    _
                )
        )
    }

    /// ISC's `expression_context`: the type of the expression (`Any` for variables and
    /// function calls).
    pub fn context(&self) -> ExprContext {
        if self.is_data() {
            ExprContext::Data
        } else if self.is_numeric() {
            ExprContext::Numeric
        } else if self.is_boolean() {
            ExprContext::Boolean
        } else {
            ExprContext::Any
        }
    }
}

/// Writes bytes as a dhcpd.conf string literal that the lexer reads back to the same bytes.
pub(crate) fn write_quoted(f: &mut impl fmt::Write, bytes: &[u8]) -> fmt::Result {
    f.write_char('"')?;
    for &b in bytes {
        match b {
            b'"' => f.write_str("\\\"")?,
            b'\\' => f.write_str("\\\\")?,
            b'\t' => f.write_str("\\t")?,
            b'\n' => f.write_str("\\n")?,
            b'\r' => f.write_str("\\r")?,
            0x20..=0x7e => f.write_char(b as char)?,
            _ => write!(f, "\\{b:03o}")?,
        }
    }
    f.write_char('"')
}

//! The entry point: reads a configuration (and its includes, through a [`Loader`]) into an
//! AST with diagnostics.

use std::collections::HashMap;
use std::rc::Rc;

use crate::ast::{Config, Stmt};
use crate::cursor::Cursor;
use crate::diag::Diagnostic;

/// The bytes of a file being read: whatever holds them (a `Vec`, or a mapped file).
pub type Source = Rc<dyn AsRef<[u8]>>;

/// Reads included files. The binary implements it over the file system; tests use memory.
pub trait Loader {
    /// The contents of `path` (exactly as written in `include`, or as given with `-cf`), or the
    /// operating system's error text (e.g. `No such file or directory`).
    fn load(&mut self, path: &str) -> Result<Vec<u8>, String>;

    /// The contents of `path` for the parser, which only reads them: by default
    /// [`Loader::load`]'s. A loader may hand over bytes it does not copy into a `Vec` (the
    /// `dhcpd` binary maps large files instead of reading them).
    fn load_source(&mut self, path: &str) -> Result<Source, String> {
        self.load(path).map(|v| Rc::new(v) as Source)
    }
}

/// A [`Loader`] over files held in memory (tests, fuzzing, `-t` of generated text).
#[derive(Debug, Default, Clone)]
pub struct MemLoader {
    /// Path → contents.
    pub files: HashMap<String, Vec<u8>>,
}

impl MemLoader {
    /// A loader holding one file.
    pub fn single(path: &str, text: &str) -> Self {
        let mut files = HashMap::new();
        files.insert(path.to_string(), text.as_bytes().to_vec());
        MemLoader { files }
    }
}

impl Loader for MemLoader {
    fn load(&mut self, path: &str) -> Result<Vec<u8>, String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| "No such file or directory".to_string())
    }
}

/// How to read the configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Read as the DHCPv6 server would (`dhcpd -6`). We serve only v4, but check both.
    pub v6: bool,
}

/// What reading a configuration produced.
#[derive(Debug, Clone)]
pub struct ParseOutput {
    /// The AST (as far as it could be read when there are errors).
    pub config: Config,
    /// Errors and warnings, in the order ISC would print them.
    pub diagnostics: Vec<Diagnostic>,
    /// Every option space and definition in force at the end (built-ins plus the
    /// configuration's own), for encoding the configured option values.
    pub registry: dhcpd_wire::options::Registry,
}

impl ParseOutput {
    /// Whether the configuration is rejected.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parser state shared by every file of one configuration.
#[allow(dead_code)] // fields are used as the parsers land
pub struct Parser<'l> {
    pub(crate) loader: &'l mut dyn Loader,
    /// Every file read so far: name as written, contents (kept as read: turning the `Vec`
    /// into an `Rc<[u8]>` would copy the whole file). Index = file id in spans.
    pub(crate) files: Vec<(Rc<str>, Source)>,
    pub(crate) options: ParseOptions,
    /// Set by a fatal error (an include that cannot be opened): parsing stops at once.
    pub(crate) aborted: bool,
    /// Diagnostics that are not tied to the cursor of one file (fatal and post-parse ones).
    pub(crate) extra: Vec<Diagnostic>,
    /// Names declared so far and other cross-statement state of the declaration parser.
    pub(crate) decls: crate::decl::DeclState,
    /// Option spaces and definitions known so far (built-ins plus the config's own).
    pub(crate) opts: crate::options::OptionState,
    /// How deeply expressions and statement blocks are nested right now (see
    /// [`MAX_NESTING`]).
    pub(crate) nesting: u32,
}

/// Deepest nesting of expressions and executable-statement blocks we read. ISC has no limit
/// and crashes (stack overflow) on hostile input; no real configuration comes near this.
pub const MAX_NESTING: u32 = 256;

impl<'l> Parser<'l> {
    pub(crate) fn new(loader: &'l mut dyn Loader, options: ParseOptions) -> Self {
        Parser {
            loader,
            files: Vec::new(),
            options,
            aborted: false,
            extra: Vec::new(),
            decls: Default::default(),
            opts: crate::options::OptionState::new(options.v6),
            nesting: 0,
        }
    }

    /// Runs `f` one level deeper in expression or statement nesting. At [`MAX_NESTING`] it
    /// reports an error, stops reading the configuration and returns `None` (with `lose` set)
    /// instead of recursing further.
    pub(crate) fn nested<T>(
        &mut self,
        c: &mut Cursor<'_>,
        lose: &mut bool,
        f: impl FnOnce(&mut Self, &mut Cursor<'_>, &mut bool) -> Option<T>,
    ) -> Option<T> {
        if self.nesting >= MAX_NESTING || self.aborted {
            if !self.aborted {
                c.error_help(
                    format!("expressions or statement blocks nested more than {MAX_NESTING} deep"),
                    "this limit is ours (ISC recurses until it crashes); simplify the expression",
                );
                self.aborted = true;
            }
            *lose = true;
            return None;
        }
        self.nesting += 1;
        let r = f(self, c, lose);
        self.nesting -= 1;
        r
    }

    /// Loads a file and registers it; `Err` is the fatal diagnostic ISC prints.
    pub(crate) fn load_file(&mut self, path: &str) -> Result<(u32, Source), Diagnostic> {
        match self.loader.load_source(path) {
            Ok(bytes) => {
                let id = self.files.len() as u32;
                self.files.push((path.into(), bytes.clone()));
                Ok((id, bytes))
            }
            // ISC's open(2) succeeds on a directory and its read(2) fails: another message.
            Err(e) if e == "Is a directory" => Err(Diagnostic::error(format!(
                "Can't read in {path}: {e}"
            ))
            .with_help("name a file, not a directory")),
            Err(e) => Err(Diagnostic::error(format!("Can't open {path}: {e}")).with_help(
                "check the path: relative include paths are resolved against the directory dhcpd was started in",
            )),
        }
    }

    /// Parses a whole file's statements in the given scope (the main file, or an include).
    pub(crate) fn parse_file(
        &mut self,
        path: &str,
        scope: crate::decl::Scope,
        out: &mut Vec<Stmt>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let (id, bytes) = match self.load_file(path) {
            Ok(x) => x,
            Err(d) => {
                diags.push(d);
                self.aborted = true;
                return;
            }
        };
        let name = self.files[id as usize].0.clone();
        let mut c = Cursor::new(name, id, (*bytes).as_ref());
        self.parse_statements_to_eof(&mut c, scope, out);
        if c.is_fatal() {
            self.aborted = true;
        }
        diags.extend(c.take_diagnostics());
    }
}

/// Reads the configuration file `path` (and everything it includes).
pub fn parse_config(path: &str, loader: &mut dyn Loader, options: ParseOptions) -> ParseOutput {
    let mut p = Parser::new(loader, options);
    let mut statements = Vec::new();
    let mut diagnostics = Vec::new();
    p.parse_file(
        path,
        crate::decl::Scope::Root,
        &mut statements,
        &mut diagnostics,
    );
    let mut config = Config {
        files: p.files.iter().map(|(n, _)| n.clone()).collect(),
        statements,
    };
    if !p.aborted && !diagnostics.iter().any(Diagnostic::is_error) {
        p.check(&mut config, &mut diagnostics);
    }
    diagnostics.append(&mut p.extra);
    ParseOutput {
        config,
        diagnostics,
        registry: p.opts.registry.clone(),
    }
}

/// The loader of a [`StatementParser`]: statements outside a configuration file cannot
/// include files.
struct NoIncludes;

impl Loader for NoIncludes {
    fn load(&mut self, _path: &str) -> Result<Vec<u8>, String> {
        Err("include is not allowed here".to_string())
    }
}

/// Reads statements that are not part of a configuration file: the bodies of the `host`,
/// `group` and `class` records of a lease file and the `on` blocks of its leases. It keeps
/// the state of the declaration parser (option definitions, declared names) between calls,
/// like one configuration file being read piece by piece.
pub struct StatementParser {
    p: Parser<'static>,
}

impl Default for StatementParser {
    fn default() -> Self {
        Self::new()
    }
}

impl StatementParser {
    /// A parser with the built-in option spaces (DHCPv4 server).
    pub fn new() -> Self {
        // A zero-sized loader: leaking its box allocates and leaks nothing.
        let loader: &'static mut NoIncludes = Box::leak(Box::new(NoIncludes));
        StatementParser {
            p: Parser::new(loader, ParseOptions::default()),
        }
    }

    /// Forgets an earlier abort (a nesting limit reached), so that the next record is read
    /// afresh. Returns whether the parser had aborted.
    pub fn reset(&mut self) -> bool {
        let was = self.p.aborted;
        self.p.aborted = false;
        self.p.nesting = 0;
        was
    }

    /// Makes `add "NAME"` accept every class name (`true`: no configuration at hand) or
    /// only those declared with [`declare_class`](Self::declare_class).
    pub fn accept_any_class(&mut self, any: bool) {
        self.p.decls.any_class = any;
    }

    /// Declares a class name (one of the configuration, or a class record read so far).
    pub fn declare_class(&mut self, name: &str) {
        self.p.decls.classes.insert(name.to_string());
    }

    /// ISC's `parse_on_statement`, after the `on` keyword.
    pub fn on_statement(
        &mut self,
        c: &mut Cursor<'_>,
    ) -> crate::exec::Parsed<crate::exec::Executable> {
        self.p.parse_on_statement(c)
    }

    /// ISC's `parse_statement`: one statement or declaration in `scope`, appended to `out`.
    pub fn statement(
        &mut self,
        c: &mut Cursor<'_>,
        scope: crate::decl::Scope,
        out: &mut Vec<Stmt>,
    ) {
        self.p.parse_statement(c, scope, None, false, out);
    }

    /// The option spaces and definitions known (built-ins plus any defined so far).
    pub fn registry(&self) -> &dhcpd_wire::options::Registry {
        &self.p.opts.registry
    }
}

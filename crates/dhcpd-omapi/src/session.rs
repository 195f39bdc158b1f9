//! The server side of one OMAPI connection, answering as ISC's `omapi_message_process`
//! does: OPEN → the object's values in an UPDATE (or a STATUS error), REFRESH → the values
//! again, UPDATE → a STATUS. Objects live behind [`Objects`]; handles are per connection.

use crate::codec::{self, Decoder, Message, Op, Pair};

/// ISC result codes (libisc's `isc_result_t` numbering) carried in STATUS messages.
pub mod result {
    /// `ISC_R_SUCCESS`.
    pub const SUCCESS: u32 = 0;
    /// `ISC_R_EXISTS`.
    pub const EXISTS: u32 = 18;
    /// `ISC_R_NOTFOUND`.
    pub const NOT_FOUND: u32 = 23;
    /// `ISC_R_NOPERM` ("permission denied").
    pub const NO_PERMISSION: u32 = 6;
    /// `ISC_R_NOTIMPLEMENTED`.
    pub const NOT_IMPLEMENTED: u32 = 27;
    /// First code of ISC DHCP's own class (`ISC_RESULTCLASS_DHCP`).
    pub const DHCP_CLASS: u32 = 6 << 16;
    /// `ISC_R_IOERROR`.
    pub const IO_ERROR: u32 = 26;
    /// `DHCP_R_INVALIDARG`.
    pub const INVALID_ARG: u32 = DHCP_CLASS + 3;
    /// `DHCP_R_MULTIPLE`.
    pub const MULTIPLE: u32 = DHCP_CLASS + 6;
    /// `DHCP_R_KEYCONFLICT`.
    pub const KEY_CONFLICT: u32 = DHCP_CLASS + 7;
    /// `DHCP_R_BADPARSE`.
    pub const BAD_PARSE: u32 = DHCP_CLASS + 8;
    /// `DHCP_R_NOKEYS`.
    pub const NO_KEYS: u32 = DHCP_CLASS + 9;
    /// `DHCP_R_UNKNOWNATTRIBUTE`.
    pub const UNKNOWN_ATTRIBUTE: u32 = DHCP_CLASS + 32;
    /// `DHCP_R_KEY_UNKNOWN`.
    pub const KEY_UNKNOWN: u32 = DHCP_CLASS + 10;
    /// `DHCP_R_INVALIDKEY`.
    pub const INVALID_KEY: u32 = DHCP_CLASS + 11;
}

/// The key OMAPI clients must sign with (`omapi-key NAME;` naming `key NAME { algorithm
/// hmac-md5; secret …; }`). Only HMAC-MD5 (omshell's default) is implemented.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    /// The key name.
    pub name: String,
    /// The decoded secret.
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// ISC's name for HMAC-MD5 (`omshell`'s `key` sends it; compared without case).
pub const HMAC_MD5: &str = "hmac-md5.SIG-ALG.REG.INT";

/// HMAC-MD5 of `data` (a 16-byte OMAPI signature).
pub fn sign(secret: &[u8], data: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    // HMAC accepts a key of any length, so this cannot fail.
    match <Hmac<md5::Md5> as Mac>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn same_algorithm(a: &[u8]) -> bool {
    let a = String::from_utf8_lossy(a);
    let a = a.trim_end_matches('.');
    a.eq_ignore_ascii_case(HMAC_MD5) || a.eq_ignore_ascii_case("hmac-md5")
}

/// A value an object publishes, encoded as ISC encodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text, without a terminating NUL.
    Str(String),
    /// Raw bytes (addresses, the hash bucket array).
    Bytes(Vec<u8>),
    /// A 32-bit integer, big-endian (ISC sends signed and unsigned alike).
    Int(u32),
}

impl Value {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Value::Str(s) => s.as_bytes().to_vec(),
            Value::Bytes(b) => b.clone(),
            Value::Int(i) => i.to_be_bytes().to_vec(),
        }
    }
}

/// Reads the value as ISC's `omapi_get_int_value` does: exactly four bytes, big-endian.
pub fn int_value(v: &[u8]) -> Option<u32> {
    let b: [u8; 4] = v.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

/// Why an object could not be opened or updated: an ISC result code and the text ISC sends
/// with it (`None`: none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The result code ([`result`]).
    pub code: u32,
    /// The message text.
    pub text: Option<String>,
}

impl Refusal {
    /// A refusal with a code and text.
    pub fn new(code: u32, text: &str) -> Refusal {
        Refusal {
            code,
            text: Some(text.to_string()),
        }
    }
}

/// The objects a server offers. An object is named by its type (`failover-state`) and an
/// identifier the implementation chooses (the relationship name).
pub trait Objects {
    /// Whether the server knows the type at all (ISC's registered object types).
    fn known_type(&self, kind: &str) -> bool;
    /// Looks an object of type `kind` up by the key values of an OPEN. `Ok(None)`: no
    /// object matches; `Err`: the lookup itself failed (unsupported type, no usable key).
    fn lookup(&self, kind: &str, key: &[Pair]) -> Result<Option<String>, Refusal>;
    /// The object's published values, in ISC's order (`None`: it is gone).
    fn values(&self, kind: &str, id: &str) -> Option<Vec<(String, Value)>>;
    /// Applies new values to the object, all or nothing as far as the caller can tell.
    fn update(&mut self, kind: &str, id: &str, values: &[Pair]) -> Result<(), Refusal>;
    /// [`Objects::update`] for an UPDATE message naming the object by `handle`: ISC then
    /// also sets the object's `remote-handle` to that handle (its lease keeps it as a scope
    /// variable). The default ignores the handle.
    fn update_handle(
        &mut self,
        kind: &str,
        id: &str,
        values: &[Pair],
        handle: u32,
    ) -> Result<(), Refusal> {
        let _ = handle;
        self.update(kind, id, values)
    }
    /// Creates an object of type `kind` from the values of an OPEN with the `create` flag
    /// that found none; returns its identifier. A refusal with
    /// [`result::NOT_IMPLEMENTED`] is sent as it is (the type cannot be created); any other
    /// is answered `can't update object` with its code, as ISC answers a new object whose
    /// values it could not take, and its text is logged. The default creates nothing.
    fn create(&mut self, kind: &str, values: &[Pair]) -> Result<String, Refusal> {
        let _ = (kind, values);
        Err(Refusal::new(
            result::NOT_IMPLEMENTED,
            "can't create new object",
        ))
    }
    /// Removes the object (a DELETE). The refusal's code is sent without text, as ISC
    /// sends it; the default is ISC's answer for its lease and failover-state objects.
    fn remove(&mut self, kind: &str, id: &str) -> Result<(), Refusal> {
        let _ = (kind, id);
        Err(Refusal {
            code: result::NOT_IMPLEMENTED,
            text: None,
        })
    }
}

/// One connection's protocol state.
#[derive(Debug)]
pub struct Session {
    decoder: Decoder,
    out: Vec<u8>,
    next_xid: u32,
    handles: Vec<(String, String)>,
    /// `Some`: every request must be signed with this key.
    key: Option<Key>,
    /// The handle the client opened the key under (its `authid` from then on).
    key_handle: Option<u32>,
    /// Sign what is sent now (answers to a signed request).
    signing: bool,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    /// A new connection: our introduction is queued for sending.
    pub fn new() -> Session {
        Session::with_key(None)
    }

    /// A new connection that demands requests signed with `key` (`None`: unauthenticated,
    /// as [`Session::new`]). The client first opens an `authenticator` object naming the
    /// key, then signs every message with it; answers to signed messages are signed.
    pub fn with_key(key: Option<Key>) -> Session {
        Session {
            decoder: Decoder::new(),
            out: codec::intro().to_vec(),
            next_xid: 1,
            handles: Vec::new(),
            key,
            key_handle: None,
            signing: false,
        }
    }

    /// Bytes to send (taken).
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Received bytes: every complete message is answered (answers go to the output).
    /// Returns a log line per message worth logging; an error means: close the connection.
    pub fn receive(
        &mut self,
        bytes: &[u8],
        objects: &mut impl Objects,
    ) -> Result<Vec<String>, codec::Error> {
        self.decoder.push(bytes);
        let mut log = Vec::new();
        while let Some((m, signed)) = self.decoder.next_signed()? {
            self.signing = false;
            let line = match self.authenticate(&m, &signed) {
                Ok(true) => self.process(&m, objects),
                Ok(false) => None,
                Err(l) => Some(l),
            };
            self.signing = false;
            if let Some(l) = line {
                log.push(l);
            }
        }
        Ok(log)
    }

    /// With a key: checks the message's signature, or that it opens the authenticator.
    /// `Ok(true)`: process it; `Ok(false)`: answered already; `Err`: answered, log this.
    fn authenticate(&mut self, m: &Message, signed: &[u8]) -> Result<bool, String> {
        let Some(key) = self.key.clone() else {
            return Ok(true);
        };
        if m.authid != 0 {
            if Some(m.authid) != self.key_handle {
                self.status(
                    m.id,
                    &Refusal {
                        code: result::KEY_UNKNOWN,
                        text: None,
                    },
                );
                return Err(format!("OMAPI: unknown authenticator {}", m.authid));
            }
            if sign(&key.secret, signed) != m.signature {
                self.status(
                    m.id,
                    &Refusal {
                        code: result::INVALID_KEY,
                        text: None,
                    },
                );
                return Err(format!("OMAPI: bad signature (key {})", key.name));
            }
            self.signing = true;
            return Ok(true);
        }
        let opens_key = m.op == Op::Open && m.message_value("type") == Some(b"authenticator");
        if !opens_key {
            self.status(
                m.id,
                &Refusal::new(result::NO_KEYS, "No authenticator on message"),
            );
            return Err("OMAPI: refused an unsigned message (omapi-key is set)".to_string());
        }
        let name_ok = m.object_value("name") == Some(key.name.as_bytes());
        let alg_ok = m.object_value("algorithm").is_some_and(same_algorithm);
        if !(name_ok && alg_ok) {
            self.status(
                m.id,
                &Refusal::new(result::NOT_FOUND, "no object matches specification"),
            );
            return Err("OMAPI: a client named another key or algorithm".to_string());
        }
        let handle = self.handle_of("authenticator", &key.name);
        self.key_handle = Some(handle);
        let mut a = Message::new(Op::Update, handle, 0, m.id);
        a.object = vec![
            (b"name".to_vec(), key.name.as_bytes().to_vec()),
            (b"algorithm".to_vec(), format!("{HMAC_MD5}.").into_bytes()),
        ];
        self.send(a);
        Ok(false)
    }

    fn send(&mut self, mut m: Message) {
        m.id = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1).max(1);
        match (&self.key, self.key_handle, self.signing) {
            (Some(key), Some(h), true) => {
                m.authid = h;
                m.signature = vec![0; 16];
                let start = self.out.len();
                m.encode(&mut self.out);
                self.out.truncate(self.out.len() - 16);
                let sig = sign(&key.secret, &self.out[start + 4..]);
                self.out.extend_from_slice(&sig);
            }
            _ => m.encode(&mut self.out),
        }
    }

    fn status(&mut self, rid: u32, r: &Refusal) {
        let mut m = Message::new(Op::Status, 0, 0, rid);
        m.message
            .push((b"result".to_vec(), r.code.to_be_bytes().to_vec()));
        if let Some(t) = &r.text {
            m.message.push((b"message".to_vec(), t.as_bytes().to_vec()));
        }
        self.send(m);
    }

    fn handle_of(&mut self, kind: &str, id: &str) -> u32 {
        // (The authenticator takes a handle like any object; it is never looked up as one.)
        let pos = match self.handles.iter().position(|(k, i)| k == kind && i == id) {
            Some(p) => p,
            None => {
                self.handles.push((kind.to_string(), id.to_string()));
                self.handles.len() - 1
            }
        };
        u32::try_from(pos + 1).unwrap_or(u32::MAX)
    }

    fn object(&self, handle: u32) -> Option<(String, String)> {
        let i = usize::try_from(handle).ok()?.checked_sub(1)?;
        self.handles
            .get(i)
            .filter(|(k, _)| k != "authenticator")
            .cloned()
    }

    fn send_object(&mut self, rid: u32, kind: &str, id: &str, objects: &impl Objects) {
        let Some(values) = objects.values(kind, id) else {
            self.status(rid, &Refusal::new(result::NOT_FOUND, "no matching handle"));
            return;
        };
        let handle = self.handle_of(kind, id);
        let mut m = Message::new(Op::Update, handle, 0, rid);
        m.object = values
            .into_iter()
            .map(|(n, v)| (n.into_bytes(), v.bytes()))
            .collect();
        self.send(m);
    }

    fn process(&mut self, m: &Message, objects: &mut impl Objects) -> Option<String> {
        if self.key.is_none() && (m.authid != 0 || !m.signature.is_empty()) {
            self.status(
                m.id,
                &Refusal::new(result::NO_KEYS, "authentication is not supported"),
            );
            return Some(
                "OMAPI: refused a signed message (no omapi-key is configured)".to_string(),
            );
        }
        if m.rid != 0 {
            // We never send requests, so nothing can be answered.
            return Some(format!(
                "OMAPI: ignored an answer to unknown message {}",
                m.rid
            ));
        }
        let flag = |name: &str| -> Result<bool, Refusal> {
            match m.message_value(name) {
                None => Ok(false),
                Some(v) => match int_value(v) {
                    Some(n) => Ok(n != 0),
                    // ISC accepts a one-byte boolean here too (omapi_set_boolean_value).
                    None if v.len() == 1 => Ok(v[0] != 0),
                    None => Err(Refusal::new(
                        result::INVALID_ARG,
                        &format!("invalid {name} flag value"),
                    )),
                },
            }
        };
        match m.op {
            Op::Open => {
                if m.message_value("type") == Some(b"authenticator") {
                    // Without a key (or opened twice): no key object matches.
                    self.status(
                        m.id,
                        &Refusal::new(result::NOT_FOUND, "no object matches specification"),
                    );
                    return None;
                }
                let kind = m
                    .message_value("type")
                    .map(|t| String::from_utf8_lossy(t).into_owned())
                    .filter(|t| objects.known_type(t));
                let (create, update, exclusive) =
                    match (flag("create"), flag("update"), flag("exclusive")) {
                        (Ok(c), Ok(u), Ok(e)) => (c, u, e),
                        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => {
                            self.status(m.id, &r);
                            return None;
                        }
                    };
                let Some(kind) = kind else {
                    if create {
                        self.status(
                            m.id,
                            &Refusal::new(result::INVALID_ARG, "type required on create"),
                        );
                        return None;
                    }
                    self.refresh(m, objects);
                    return None;
                };
                let id = match objects.lookup(&kind, &m.object) {
                    Err(r) => {
                        self.status(m.id, &r);
                        return None;
                    }
                    Ok(None) if !create => {
                        self.status(
                            m.id,
                            &Refusal::new(result::NOT_FOUND, "no object matches specification"),
                        );
                        return None;
                    }
                    Ok(None) => {
                        return match objects.create(&kind, &m.object) {
                            Ok(id) => {
                                self.send_object(m.id, &kind, &id, objects);
                                Some(format!("OMAPI: {kind} {id}: created"))
                            }
                            Err(r) if r.code == result::NOT_IMPLEMENTED => {
                                self.status(m.id, &r);
                                None
                            }
                            Err(r) => {
                                let text = r.text.clone().unwrap_or_default();
                                self.status(m.id, &Refusal::new(r.code, "can't update object"));
                                Some(format!("OMAPI: {kind}: create refused: {text}"))
                            }
                        };
                    }
                    Ok(Some(_)) if create && exclusive => {
                        self.status(
                            m.id,
                            &Refusal::new(result::EXISTS, "specified object already exists"),
                        );
                        return None;
                    }
                    Ok(Some(id)) => id,
                };
                let mut line = None;
                if create || update {
                    if let Err(r) = objects.update(&kind, &id, &m.object) {
                        let text = r.text.clone().unwrap_or_default();
                        self.status(m.id, &Refusal::new(r.code, "can't update object"));
                        return Some(format!("OMAPI: {kind} {id}: update refused: {text}"));
                    }
                    line = Some(format!("OMAPI: {kind} {id}: updated"));
                }
                self.send_object(m.id, &kind, &id, objects);
                line
            }
            Op::Refresh => {
                self.refresh(m, objects);
                None
            }
            Op::Update => {
                let Some((kind, id)) = self.object(m.handle) else {
                    self.status(m.id, &Refusal::new(result::NOT_FOUND, "no matching handle"));
                    return None;
                };
                match objects.update_handle(&kind, &id, &m.object, m.handle) {
                    Ok(()) => {
                        self.status(
                            m.id,
                            &Refusal {
                                code: result::SUCCESS,
                                text: None,
                            },
                        );
                        Some(format!("OMAPI: {kind} {id}: updated"))
                    }
                    Err(r) => {
                        let text = r.text.clone().unwrap_or_default();
                        self.status(m.id, &Refusal::new(r.code, "can't update object"));
                        Some(format!("OMAPI: {kind} {id}: update refused: {text}"))
                    }
                }
            }
            Op::Notify => {
                self.status(
                    m.id,
                    &Refusal::new(result::NOT_IMPLEMENTED, "notify not implemented yet"),
                );
                None
            }
            Op::Delete => {
                let Some((kind, id)) = self.object(m.handle) else {
                    self.status(m.id, &Refusal::new(result::NOT_FOUND, "no matching handle"));
                    return None;
                };
                match objects.remove(&kind, &id) {
                    Ok(()) => {
                        self.status(
                            m.id,
                            &Refusal {
                                code: result::SUCCESS,
                                text: None,
                            },
                        );
                        Some(format!("OMAPI: {kind} {id}: removed"))
                    }
                    Err(r) => {
                        let text = r.text.clone().unwrap_or_default();
                        self.status(
                            m.id,
                            &Refusal {
                                code: r.code,
                                text: None,
                            },
                        );
                        (!text.is_empty())
                            .then(|| format!("OMAPI: {kind} {id}: remove refused: {text}"))
                    }
                }
            }
            Op::Status => Some("OMAPI: ignored an unsolicited STATUS".to_string()),
            Op::Other(n) => {
                self.status(
                    m.id,
                    &Refusal::new(result::INVALID_ARG, &format!("unknown operation {n}")),
                );
                None
            }
        }
    }

    fn refresh(&mut self, m: &Message, objects: &impl Objects) {
        match self.object(m.handle) {
            Some((kind, id)) => self.send_object(m.id, &kind, &id, objects),
            None => self.status(m.id, &Refusal::new(result::NOT_FOUND, "no matching handle")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One failover-state called "fo" whose local-state can be set.
    struct Fake {
        state: u32,
    }

    impl Objects for Fake {
        fn known_type(&self, kind: &str) -> bool {
            kind == "failover-state" || kind == "host"
        }
        fn lookup(&self, kind: &str, key: &[Pair]) -> Result<Option<String>, Refusal> {
            if kind != "failover-state" {
                return Err(Refusal::new(result::NOT_IMPLEMENTED, "unsupported"));
            }
            match key.iter().find(|(n, _)| n == b"name") {
                Some((_, v)) if v == b"fo" => Ok(Some("fo".into())),
                Some(_) => Ok(None),
                None => Err(Refusal::new(result::NO_KEYS, "no key")),
            }
        }
        fn values(&self, _: &str, id: &str) -> Option<Vec<(String, Value)>> {
            Some(vec![
                ("name".into(), Value::Str(id.into())),
                ("local-state".into(), Value::Int(self.state)),
            ])
        }
        fn update(&mut self, _: &str, _: &str, values: &[Pair]) -> Result<(), Refusal> {
            for (n, v) in values {
                if n == b"local-state" {
                    self.state = int_value(v)
                        .ok_or_else(|| Refusal::new(result::INVALID_ARG, "not an integer"))?;
                }
            }
            Ok(())
        }
    }

    fn client(msgs: &[Message]) -> Vec<u8> {
        let mut w = codec::intro().to_vec();
        for m in msgs {
            m.encode(&mut w);
        }
        w
    }

    fn answers(s: &mut Session) -> Vec<Message> {
        let out = s.take_output();
        let mut d = Decoder::new();
        d.push(&out);
        let mut v = Vec::new();
        while let Some(m) = d.next_message().expect("our own output decodes") {
            v.push(m);
        }
        v
    }

    fn open(id: u32, name: &[u8]) -> Message {
        let mut m = Message::new(Op::Open, 0, id, 0);
        m.message
            .push((b"type".to_vec(), b"failover-state".to_vec()));
        m.object.push((b"name".to_vec(), name.to_vec()));
        m
    }

    #[test]
    fn open_then_update_local_state() {
        let mut s = Session::new();
        let mut f = Fake { state: 3 };
        let mut upd = Message::new(Op::Update, 1, 2, 0);
        upd.object
            .push((b"local-state".to_vec(), 4u32.to_be_bytes().to_vec()));
        let log = s
            .receive(&client(&[open(1, b"fo"), upd]), &mut f)
            .expect("valid");
        assert_eq!(log, vec!["OMAPI: failover-state fo: updated".to_string()]);
        assert_eq!(f.state, 4);
        let a = answers(&mut s);
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].op, a[0].handle, a[0].rid), (Op::Update, 1, 1));
        assert_eq!(a[0].object_value("name"), Some(&b"fo"[..]));
        assert_eq!(a[0].object_value("local-state"), Some(&[0, 0, 0, 3][..]));
        assert_eq!((a[1].op, a[1].rid), (Op::Status, 2));
        assert_eq!(a[1].message_value("result"), Some(&[0, 0, 0, 0][..]));
        assert_eq!(a[1].message_value("message"), None);
        assert!(a[1].id > a[0].id);
    }

    #[test]
    fn errors_are_statuses() {
        let mut s = Session::new();
        let mut f = Fake { state: 3 };
        let mut bad = Message::new(Op::Update, 1, 3, 0);
        bad.object.push((b"local-state".to_vec(), vec![4]));
        let mut unknown_type = open(4, b"fo");
        unknown_type.message[0].1 = b"nonsense".to_vec();
        s.receive(
            &client(&[
                open(1, b"nope"),
                Message::new(Op::Update, 7, 2, 0),
                open(5, b"fo"),
                bad,
                unknown_type,
            ]),
            &mut f,
        )
        .expect("valid");
        let a = answers(&mut s);
        let results: Vec<(Op, u32, Option<Vec<u8>>)> = a
            .iter()
            .map(|m| (m.op, m.rid, m.message_value("result").map(<[u8]>::to_vec)))
            .collect();
        let code = |c: u32| Some(c.to_be_bytes().to_vec());
        assert_eq!(
            results,
            vec![
                (Op::Status, 1, code(result::NOT_FOUND)),
                (Op::Status, 2, code(result::NOT_FOUND)),
                (Op::Update, 5, None),
                (Op::Status, 3, code(result::INVALID_ARG)),
                (Op::Status, 4, code(result::NOT_FOUND)),
            ]
        );
        assert_eq!(
            a[0].message_value("message"),
            Some(&b"no object matches specification"[..])
        );
        assert_eq!(f.state, 3);
    }

    #[test]
    fn authenticated_messages_are_refused() {
        let mut s = Session::new();
        let mut f = Fake { state: 3 };
        let mut m = open(1, b"fo");
        m.authid = 5;
        let log = s.receive(&client(&[m]), &mut f).expect("valid");
        assert_eq!(log.len(), 1);
        let a = answers(&mut s);
        assert_eq!(
            a[0].message_value("result"),
            Some(&result::NO_KEYS.to_be_bytes()[..])
        );
    }

    fn signed(key: &Key, handle: u32, m: &Message) -> Vec<u8> {
        let mut m = m.clone();
        m.authid = handle;
        m.signature = vec![0; 16];
        let mut w = Vec::new();
        m.encode(&mut w);
        w.truncate(w.len() - 16);
        let sig = sign(&key.secret, &w[4..]);
        w.extend_from_slice(&sig);
        w
    }

    #[test]
    fn hmac_md5_rfc2104_vector() {
        // RFC 2104's second test vector.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            [
                0x75, 0x0c, 0x78, 0x3e, 0x6a, 0xb0, 0xb5, 0x03, 0xea, 0xa8, 0x6e, 0x31, 0x0a, 0x5d,
                0xb7, 0x38
            ]
        );
    }

    #[test]
    fn keyed_session() {
        let key = Key {
            name: "omkey".into(),
            secret: b"secret".to_vec(),
        };
        let mut s = Session::with_key(Some(key.clone()));
        let mut f = Fake { state: 3 };
        // Unsigned request: refused.
        s.receive(&client(&[open(1, b"fo")]), &mut f)
            .expect("valid");
        // Open the authenticator, then a signed OPEN and a badly signed UPDATE.
        let mut auth = Message::new(Op::Open, 0, 2, 0);
        auth.message
            .push((b"type".to_vec(), b"authenticator".to_vec()));
        auth.object.push((b"name".to_vec(), b"omkey".to_vec()));
        auth.object
            .push((b"algorithm".to_vec(), b"HMAC-MD5.SIG-ALG.REG.INT.".to_vec()));
        let mut w = Vec::new();
        auth.encode(&mut w);
        s.receive(&w, &mut f).expect("valid");
        let a = answers(&mut s);
        assert_eq!(a.len(), 2, "{a:?}");
        assert_eq!(
            a[0].message_value("result"),
            Some(&result::NO_KEYS.to_be_bytes()[..])
        );
        assert_eq!((a[1].op, a[1].rid), (Op::Update, 2));
        let h = a[1].handle;
        let mut w = signed(&key, h, &open(3, b"fo"));
        let mut upd = Message::new(Op::Update, 1, 4, 0);
        upd.object
            .push((b"local-state".to_vec(), 4u32.to_be_bytes().to_vec()));
        let mut bad = signed(&key, h, &upd);
        let n = bad.len();
        bad[n - 1] ^= 1;
        w.extend_from_slice(&bad);
        s.receive(&w, &mut f).expect("valid");
        let out = s.take_output();
        let mut d = Decoder::new();
        d.push(&codec::intro());
        d.push(&out);
        assert!(!out.is_empty());
        let (m, covered) = d.next_signed().expect("decodes").expect("an answer");
        assert_eq!((m.op, m.rid, m.authid), (Op::Update, 3, h));
        assert_eq!(m.signature, sign(&key.secret, &covered));
        let (m, _) = d.next_signed().expect("decodes").expect("an answer");
        assert_eq!(
            (m.op, m.rid, m.message_value("result")),
            (Op::Status, 4, Some(&result::INVALID_KEY.to_be_bytes()[..]))
        );
        assert_eq!(f.state, 3);
    }

    #[test]
    fn garbage_closes() {
        let mut s = Session::new();
        let mut f = Fake { state: 3 };
        assert!(s.receive(b"GET / HTTP/1.0\r\n\r\n", &mut f).is_err());
    }
}

use super::*;
use crate::eval::tests::{Conf, conf, packet};
use dhcpd_wire::message::Message;

fn ctx<'a>(c: &'a Conf, m: Option<&'a Message>) -> EvalCtx<'a> {
    EvalCtx {
        now: 0,
        model: &c.model,
        registry: &c.out.registry,
        packet: m,
        lease: None,
        host: None,
        classes: &[],
    }
}

fn names(c: &Conf, members: &[Member]) -> Vec<String> {
    members
        .iter()
        .map(|m| match m {
            Member::Class(i) => {
                let cl = &c.model.classes[*i];
                match cl.superclass {
                    Some(_) => format!("{}/sub", cl.name),
                    None => cl.name.clone(),
                }
            }
            Member::Spawned { class, value } => format!(
                "{}/spawned:{}",
                c.model.classes[*class].name,
                String::from_utf8_lossy(value)
            ),
        })
        .collect()
}

const CLASSES: &str = "\
class \"msft\" { match if substring(option vendor-class-identifier, 0, 4) = \"MSFT\"; }\n\
class \"by-name\" { match option host-name; }\n\
subclass \"by-name\" \"printer\" { option domain-name \"printers.example\"; }\n\
subclass \"by-name\" \"scanner\";\n\
class \"per-mac\" { spawn with hardware; lease limit 2; }\n\
class \"pxe\" { match if exists user-class; spawn with substring(option user-class, 0, 3); }\n\
class \"never\" { }\n\
class \"known-only\" { match if known; }\n";

#[test]
fn declaration_order_match_if_subclasses_and_spawning() {
    let c = conf(CLASSES);
    let m = packet(&[(60, b"MSFT 5.0"), (12, b"printer"), (77, b"iPXE-x")]);
    let got = classify_all(&ctx(&c, Some(&m)));
    assert_eq!(
        names(&c, &got.members),
        [
            "msft",
            "by-name/sub",
            "per-mac/spawned:\u{1}\0\u{16}>\0\0\u{1}",
            "pxe/spawned:iPX",
        ]
    );
    assert_eq!(
        classify(&ctx(&c, Some(&m))).len(),
        4,
        "spawned subclasses appear as their spawning class"
    );
    // No vendor class, an unknown host name: no subclass, and `by-name` does not spawn.
    let m = packet(&[(12, b"laptop")]);
    let got = classify_all(&ctx(&c, Some(&m)));
    assert_eq!(
        names(&c, &got.members),
        ["per-mac/spawned:\u{1}\0\u{16}>\0\0\u{1}"]
    );
}

#[test]
fn known_is_false_while_classifying_as_in_isc() {
    let c = conf(CLASSES);
    let host = crate::model::HostM {
        name: "h".into(),
        scope: 0,
        hardware: None,
        uid: None,
        fixed: Vec::new(),
        identifier: None,
        dynamic: false,
        deleted: false,
        has_statements: false,
    };
    let m = packet(&[]);
    let mut x = ctx(&c, Some(&m));
    x.host = Some(&host);
    let got = classify_all(&x);
    assert!(!names(&c, &got.members).contains(&"known-only".to_string()));
}

#[test]
fn vendor_class_declarations_are_subclasses_of_the_class_of_that_name() {
    let c = conf(
        "class \"MSFT 5.0\" { match option vendor-class-identifier; }\n\
         vendor-class \"MSFT 5.0\" { option domain-name \"windows.example\"; }\n",
    );
    let m = packet(&[(60, b"MSFT 5.0")]);
    let got = classify_all(&ctx(&c, Some(&m)));
    assert_eq!(got.members.len(), 1);
    let Member::Class(i) = got.members[0] else {
        panic!("a declared subclass")
    };
    assert_eq!(c.model.classes[i].kind, ClassKind::VendorClass);
    assert_eq!(superclass(&c.model, i), Some(0));
    assert!(got.members[0].is_member_of(&c.model, 0));
    assert_eq!(
        implicit_option(&c.model, i),
        Some((60, b"MSFT 5.0".to_vec()))
    );
    let m = packet(&[(60, b"other")]);
    assert!(classify_all(&ctx(&c, Some(&m))).members.is_empty());
}

#[test]
fn at_most_five_classes() {
    let mut text = String::new();
    for i in 0..7 {
        text.push_str(&format!(
            "class \"c{i}\" {{ match if exists host-name; }}\n"
        ));
    }
    let c = conf(&text);
    let m = packet(&[(12, b"x")]);
    let got = classify_all(&ctx(&c, Some(&m)));
    assert_eq!(got.members.len(), MAX_CLASSES);
    assert_eq!(
        got.effects,
        [Effect::Log(
            "error".into(),
            "too many classes match 00:16:3e:00:00:01".into()
        )]
    );
}

#[test]
fn check_default_collection() {
    let c = conf(
        "class \"msft\" { match if substring(option vendor-class-identifier, 0, 4) = \"MSFT\"; }\n\
         if check \"default\" { log(info, \"classified\"); }\n",
    );
    let run = |m: &Message| {
        let x = ctx(&c, Some(m));
        let mut set = crate::scope::OptionSet::default();
        let mut fx = Vec::new();
        crate::scope::execute_scopes(&x, &[0], &mut set, &mut fx);
        fx
    };
    assert_eq!(
        run(&packet(&[(60, b"MSFT")])),
        [Effect::Log("info".into(), "classified".into())]
    );
    assert!(run(&packet(&[(60, b"Linux")])).is_empty());
}

#[test]
fn lease_limits() {
    let c = conf(CLASSES);
    let per_mac = 4;
    assert_eq!(c.model.classes[per_mac].name, "per-mac");
    let spawned = Member::Spawned {
        class: per_mac,
        value: vec![1, 2, 3],
    };
    let msft = Member::Class(0);
    assert_eq!(spawned.lease_limit(&c.model), Some(2));
    assert_eq!(msft.lease_limit(&c.model), None);
    let members = vec![msft.clone(), spawned.clone()];
    assert_eq!(
        billing(&c.model, &members, None, |_| 1),
        Billing::Bill(spawned.clone())
    );
    assert_eq!(
        billing(&c.model, &members, None, |_| 2),
        Billing::Refuse {
            last: "per-mac".into()
        }
    );
    assert_eq!(
        billing(&c.model, &members, Some(&spawned), |_| 2),
        Billing::Keep
    );
    assert_eq!(
        billing(&c.model, &[msft], Some(&spawned), |_| 2),
        Billing::NotBilled,
        "billed to a class the client left, and no limited class now"
    );
}

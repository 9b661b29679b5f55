//! Members of workspaces (GET /space/{id}/member/) and organizations
//! (GET /org/{id}/member/) reduced to who they are and their role.

use serde_json::{Map, Value, json};

use super::json::{get, int_or_null, str_at, string_or_null};

/// A workspace member: user_id, profile_id, name, mail, role, invited_on,
/// started_on (the join date), employee.
pub fn space_member(m: &Value) -> Value {
    let mut out = person(m);
    out.insert("role".into(), string_or_null(m, "role"));
    out.insert("invited_on".into(), string_or_null(m, "invited_on"));
    out.insert("started_on".into(), string_or_null(m, "started_on"));
    out.insert("employee".into(), bool_or_null(m, "employee"));
    Value::Object(out)
}

/// An organization member: user_id, profile_id, name, mail, role,
/// employee, space_memberships (how many of the org's workspaces they are in).
pub fn org_member(m: &Value) -> Value {
    let mut out = person(m);
    out.insert("role".into(), string_or_null(m, "role"));
    out.insert("employee".into(), bool_or_null(m, "employee"));
    out.insert(
        "space_memberships".into(),
        int_or_null(m, "space_memberships"),
    );
    Value::Object(out)
}

/// user_id, profile_id, name and mail, from the `user` and `profile` objects
/// (either may be missing; the profile's values win for name and mail since
/// that is what Podio shows).
fn person(m: &Value) -> Map<String, Value> {
    let null = Value::Null;
    let user = get(m, "user").unwrap_or(&null);
    let profile = get(m, "profile").unwrap_or(&null);
    let user_id = match int_or_null(user, "user_id") {
        Value::Null => int_or_null(profile, "user_id"),
        id => id,
    };
    let name = str_at(profile, "name").or_else(|| str_at(user, "name"));
    let mut out = Map::new();
    out.insert("user_id".into(), user_id);
    out.insert("profile_id".into(), int_or_null(profile, "profile_id"));
    out.insert("name".into(), name.map_or(Value::Null, |n| json!(n)));
    out.insert("mail".into(), mail(profile).or_else(|| mail(user)).into());
    out
}

/// The first address of `mail`, which Podio sends as a list on profiles
/// and as a string on users.
fn mail(v: &Value) -> Option<String> {
    match get(v, "mail")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(list) => list.iter().find_map(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn bool_or_null(v: &Value, key: &str) -> Value {
    get(v, key)
        .and_then(Value::as_bool)
        .map_or(Value::Null, Value::Bool)
}

/// "Jane Doe (user 1337749, profile 67160609, jane@acme.example)".
pub fn who(member: &Value) -> String {
    let name = str_at(member, "name").unwrap_or("(unnamed)");
    let mut ids = Vec::new();
    for (key, label) in [("user_id", "user"), ("profile_id", "profile")] {
        if let Some(id) = get(member, key) {
            ids.push(format!("{label} {id}"));
        }
    }
    if let Some(mail) = str_at(member, "mail") {
        ids.push(mail.to_owned());
    }
    if ids.is_empty() {
        name.to_owned()
    } else {
        format!("{name} ({})", ids.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_and_profile_fill_each_other_in() {
        let m = space_member(&json!({
            "user": {"user_id": 5, "mail": "u@x"},
            "profile": {"profile_id": 9, "name": "Ann", "mail": ["p@x", "q@x"]},
            "role": "admin", "employee": true
        }));
        assert_eq!(m["user_id"], 5);
        assert_eq!(m["mail"], "p@x");
        assert_eq!(m["started_on"], Value::Null);
        assert_eq!(who(&m), "Ann (user 5, profile 9, p@x)");

        let m =
            org_member(&json!({"profile": {"user_id": 7, "name": "Bo"}, "user": {"mail": "bo@x"}}));
        assert_eq!(
            (m["user_id"].clone(), m["mail"].clone()),
            (json!(7), json!("bo@x"))
        );
        assert_eq!(m["employee"], Value::Null);
        assert_eq!(who(&json!({"name": null})), "(unnamed)");
    }
}

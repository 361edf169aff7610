//! How a value appears in a validation message: as the service's Java objects
//! print themselves. Strings as they are; numbers and booleans as in JSON;
//! lists `[a, b]` (public captures: `Value '[ADMIN_USER_PASSWORD_AUTH]' at
//! 'explicitAuthFlows'`, `Value '[]' at 'keySchema'`); maps and structures
//! `{k=v, k2=v2}` (captures of map values: `Value '{key=value}' at …`). No
//! public capture shows a structure inside a list; they print like maps here.

use serde_json::Value;

/// The text of `v` in `Value '…' at …`.
pub(crate) fn render(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                write(item, out);
            }
            out.push('}');
        }
    }
}

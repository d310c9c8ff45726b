//! The review page's HTML, in French, server-rendered with no script: a layout and small pieces.
//! Every value from outside goes through [`esc`].

use std::fmt::Write as _;

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:'DejaVu Sans',Arial,sans-serif;margin:0;color:#1b1b1b;background:#f6f6f4}
header{background:#123d6a;color:#fff;padding:.8rem 1.5rem;display:flex;justify-content:space-between;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:bold}
header form{display:inline}
main{padding:1rem 1.5rem;max-width:1200px}
table{border-collapse:collapse;width:100%;background:#fff;margin:.5rem 0 1.2rem}
th,td{border:1px solid #d0d0d0;padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.92rem}
th{background:#e8edf3}
.state{display:inline-block;padding:.1rem .45rem;border-radius:.3rem;background:#e8edf3}
.state-ready_for_review{background:#d9f0d9}.state-needs_input{background:#fff0c2}.state-needs_attention{background:#ffd9d2}
.state-filed_unknown{background:#ffb3a7}.same{color:#2e7d32}.differs{color:#c0392b}
.warn{background:#fff6d6;border-left:4px solid #e0a800;padding:.4rem .7rem;margin:.3rem 0}
.error{background:#ffe3de;border-left:4px solid #c0392b;padding:.4rem .7rem;margin:.3rem 0}
.notice{background:#e3f1e3;border-left:4px solid #2e7d32;padding:.4rem .7rem;margin:.3rem 0}
.cols{display:flex;gap:1.2rem;flex-wrap:wrap}.cols>section{flex:1;min-width:320px}
.shots img{max-width:100%;border:1px solid #bbb;margin:.3rem 0 1rem;background:#fff}
form.action{background:#fff;border:1px solid #d0d0d0;padding:.7rem;margin:.6rem 0}
label{display:block;margin:.3rem 0 .1rem;font-weight:bold}
input[type=text],input[type=password],input[type=number],input[type=date],textarea{padding:.3rem;width:22rem;max-width:100%}
button{padding:.4rem .9rem;margin-top:.4rem;cursor:pointer}
button.primary{background:#1f7a35;color:#fff;border:0}
button.danger{background:#b3261e;color:#fff;border:0}
";

/// A whole page: the header with who is logged in, then `body`.
pub fn page(title: &str, who: Option<(&str, &str)>, body: &str) -> String {
    let account = match who {
        Some((name, csrf)) => format!(
            "<span>{} · <form method=\"post\" action=\"/review/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Se déconnecter</button></form></span>",
            esc(name),
            esc(csrf)
        ),
        None => String::new(),
    };
    format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{} — MonOPCO Fleet</title><style>{STYLE}</style></head>\
         <body><header><a href=\"/review\">MonOPCO Fleet · Relecture des dépôts</a>{account}</header><main>{body}</main></body></html>",
        esc(title)
    )
}

/// A table from a header row and rows of already-escaped cells.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table><thead><tr>");
    for h in headers {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A POST form with the CSRF token, `fields` already HTML, and a button.
pub fn form(action: &str, csrf: &str, fields: &str, button: &str, class: &str) -> String {
    format!(
        "<form class=\"action\" method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">{fields}<button type=\"submit\" class=\"{class}\">{}</button></form>",
        esc(action),
        esc(csrf),
        esc(button)
    )
}

/// A labelled input.
pub fn input(id: &str, label: &str, kind: &str, value: &str, extra: &str) -> String {
    format!(
        "<label for=\"{id}\">{}</label><input id=\"{id}\" name=\"{id}\" type=\"{kind}\" value=\"{}\" {extra}>",
        esc(label),
        esc(value)
    )
}

/// The login page.
pub fn login(error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(e)))
        .unwrap_or_default();
    page(
        "Connexion",
        None,
        &format!(
            "<h1>Connexion de l'équipe</h1>{error}<form class=\"action\" method=\"post\" action=\"/review/login\">{}{}<button type=\"submit\" class=\"primary\">Se connecter</button></form>",
            input(
                "login",
                "Identifiant",
                "text",
                "",
                "autocomplete=\"username\" required"
            ),
            input(
                "password",
                "Mot de passe",
                "password",
                "",
                "autocomplete=\"current-password\" required"
            ),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_values_is_shown_as_text() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}

//! The page layout and the small pieces every review page is built of, as maud templates.
//!
//! Every value spliced into a template — `(value)` — is escaped for HTML. The one raw piece is
//! our own stylesheet below; [`tests::no_raw_html_outside_the_layout`] fails the build's tests
//! if `PreEscaped` appears in any other file of the review page.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use domain::FilingState;

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

/// Who is logged in, for the header: their name and the session's CSRF token.
#[derive(Clone, Copy)]
pub struct Who<'a> {
    pub name: &'a str,
    pub csrf: &'a str,
}

/// A whole page: the header with who is logged in, then `body`.
pub fn page(title: &str, who: Option<Who<'_>>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                title { (title) " — MonOPCO Fleet" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a href="/review" { "MonOPCO Fleet · Relecture des dépôts" }
                    @if let Some(who) = who {
                        span {
                            (who.name) " · "
                            form method="post" action="/review/logout" {
                                input type="hidden" name="csrf" value=(who.csrf);
                                button type="submit" { "Se déconnecter" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A table from a header row and rows of cells.
pub fn table<R>(headers: &[&str], rows: R) -> Markup
where
    R: IntoIterator<Item = Vec<Markup>>,
{
    html! {
        table {
            thead { tr { @for h in headers { th scope="col" { (h) } } } }
            tbody {
                @for row in rows {
                    tr { @for cell in row { td { (cell) } } }
                }
            }
        }
    }
}

/// Text as a table cell.
pub fn cell(text: impl AsRef<str>) -> Markup {
    html! { (text.as_ref()) }
}

/// The look of a button.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Button {
    Primary,
    Danger,
    Plain,
}

/// A POST form carrying the CSRF token: `fields`, then a button.
pub fn post_form(action: &str, csrf: &str, fields: Markup, button: &str, look: Button) -> Markup {
    html! {
        form.action method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            (fields)
            button.primary[look == Button::Primary].danger[look == Button::Danger] type="submit" {
                (button)
            }
        }
    }
}

/// A labelled input.
#[derive(Clone, Copy, Default)]
pub struct Field<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub value: &'a str,
    pub required: bool,
    pub autocomplete: Option<&'a str>,
    pub inputmode: Option<&'a str>,
    pub min: Option<&'a str>,
    pub max: Option<&'a str>,
}

impl Field<'_> {
    /// The label and the input.
    pub fn render(&self) -> Markup {
        html! {
            label for=(self.id) { (self.label) }
            input id=(self.id) name=(self.id) type=(self.kind) value=(self.value)
                autocomplete=[self.autocomplete] inputmode=[self.inputmode]
                min=[self.min] max=[self.max] required[self.required];
        }
    }
}

/// A filing state as a coloured badge.
pub fn state_badge(state: FilingState) -> Markup {
    html! { span.state.(format!("state-{}", state.as_str())) { (state.label_fr()) } }
}

/// The login page, with what went wrong with the last try.
pub fn login(error: Option<&str>) -> Markup {
    let body = html! {
        h1 { "Connexion de l'équipe" }
        @if let Some(error) = error { p.error role="alert" { (error) } }
        form.action method="post" action="/review/login" {
            (Field { id: "login", label: "Identifiant", kind: "text", required: true,
                     autocomplete: Some("username"), ..Field::default() }.render())
            (Field { id: "password", label: "Mot de passe", kind: "password", required: true,
                     autocomplete: Some("current-password"), ..Field::default() }.render())
            button.primary type="submit" { "Se connecter" }
        }
    };
    page("Connexion", None, body)
}

/// A page saying why an action or a page cannot be given.
pub fn problem(title: &str, who: Option<Who<'_>>, message: &str) -> Markup {
    let body = html! {
        h1 { (title) }
        p.error role="alert" { (message) }
        p { a href="/review" { "Retour à la liste" } }
    };
    page(title, who, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_values_is_shown_as_text() {
        let html = problem(
            "<b>Titre</b>",
            Some(Who {
                name: "<script>alert('x')</script>",
                csrf: "\"><img src=x>",
            }),
            "a & b <i>",
        )
        .into_string();
        assert!(
            html.contains("&lt;script&gt;alert('x')&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("value=\"&quot;&gt;&lt;img src=x&gt;\""),
            "{html}"
        );
        assert!(html.contains("a &amp; b &lt;i&gt;"), "{html}");
        assert!(html.contains("<title>&lt;b&gt;Titre&lt;/b&gt; — MonOPCO Fleet</title>"));
        assert!(
            !html.contains("<script>") && !html.contains("<i>"),
            "{html}"
        );
    }

    #[test]
    fn a_field_carries_only_the_attributes_it_is_given() {
        let html = Field {
            id: "code",
            label: "Code",
            kind: "text",
            value: "\"x",
            required: true,
            inputmode: Some("numeric"),
            ..Field::default()
        }
        .render()
        .into_string();
        assert_eq!(
            html,
            "<label for=\"code\">Code</label><input id=\"code\" name=\"code\" type=\"text\" value=\"&quot;x\" inputmode=\"numeric\" required>"
        );
    }

    /// Raw HTML is possible only here, for the stylesheet: a template elsewhere that wants it
    /// must come and say why in this file.
    #[test]
    fn no_raw_html_outside_the_layout() {
        fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/review"),
            &mut files,
        );
        assert!(files.len() > 5, "{files:?}");
        for path in files.iter().filter(|p| !p.ends_with("review/layout.rs")) {
            let source = std::fs::read_to_string(path).unwrap();
            let code = source.lines().filter(|l| !l.trim_start().starts_with("//"));
            for line in code {
                for banned in ["PreEscaped", "maud::Render", "Render for", "render_to"] {
                    assert!(
                        !line.contains(banned),
                        "{}: «{line}» uses {banned}: values go through escaping templates",
                        path.display(),
                    );
                }
            }
        }
    }
}

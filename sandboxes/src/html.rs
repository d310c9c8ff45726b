//! The pages, rendered by hand so that each portal has its own markup.

use std::fmt::Write as _;

use crate::spec::{
    CookieBanner, Field, HARMLESS_EXTRA, Kind, Markup, NameOrder, PortalSpec, SitePicker,
};
use crate::state::{ExtraControl, Faults, Layout, Request, ShortField, Status};

/// Escapes text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
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

/// The prefix of form names in the changed-markup variant.
pub(crate) const CHANGED_NAME_PREFIX: &str = "q9_";

/// The fields of a step as the current layout shows them.
pub(crate) fn step_fields(spec: &PortalSpec, faults: &Faults, step: usize) -> Vec<Field> {
    let mut fields: Vec<Field> = spec.steps[step].fields.to_vec();
    match faults.extra_control {
        ExtraControl::Unknown if spec.preset_extra.0 == step => fields.push(spec.preset_extra.1),
        ExtraControl::Harmless if step == 0 => fields.push(HARMLESS_EXTRA),
        _ => {}
    }
    match faults.layout {
        Layout::RenamedLabel if spec.renamed.0 == step => {
            for f in &mut fields {
                if f.key == spec.renamed.1 {
                    f.label = spec.renamed.2;
                }
            }
        }
        Layout::NewMandatoryField if spec.new_mandatory.0 == step => {
            fields.insert(fields.len().min(2), spec.new_mandatory.1);
        }
        _ => {}
    }
    fields
}

fn markup_for(spec: &PortalSpec, layout: Layout) -> Markup {
    if layout == Layout::ChangedMarkup {
        spec.changed_markup
    } else {
        spec.markup
    }
}

fn name_of(layout: Layout, key: &str) -> String {
    if layout == Layout::ChangedMarkup {
        format!("{CHANGED_NAME_PREFIX}{key}")
    } else {
        key.to_owned()
    }
}

fn id_of(spec: &PortalSpec, layout: Layout, key: &str, n: usize) -> String {
    if layout == Layout::ChangedMarkup {
        format!("ctl{n:03}x")
    } else {
        format!("{}-{}", spec.opco.slug(), key.replace('_', "-"))
    }
}

/// The cookie banner: a dialog over the whole page until its button is pressed, then gone for
/// good (a cookie, read by the script that follows it, so later pages never show it).
fn cookie_banner(b: CookieBanner) -> String {
    format!(
        "<div id=\"cookie-banner\" role=\"dialog\" aria-label=\"Gestion des cookies\" style=\"position:fixed;inset:0;z-index:1000;background:rgba(0,0,0,.45)\"><div style=\"position:absolute;left:0;right:0;bottom:0;background:#fff;padding:16px\"><p>{}</p><button type=\"button\" onclick=\"document.cookie='{COOKIES_OK}=1; path=/';document.getElementById('cookie-banner').remove()\">{}</button></div></div><script>if(document.cookie.split('; ').includes('{COOKIES_OK}=1'))document.getElementById('cookie-banner').remove();</script>",
        esc(b.text),
        esc(b.accept_button)
    )
}

/// The cookie that remembers the cookie banner was dismissed.
const COOKIES_OK: &str = "cookies_ok";

/// The page chrome of the portal.
pub(crate) fn page(spec: &PortalSpec, title: &str, body: &str, logged_in: bool) -> String {
    let logout = if logged_in {
        "<form method=\"post\" action=\"/deconnexion\" style=\"display:inline\"><button type=\"submit\">Déconnexion</button></form>"
    } else {
        ""
    };
    let header = match spec.markup {
        Markup::ForLabel => format!(
            "<header role=\"banner\"><p class=\"fr-header__service\">{} — {}</p>{logout}</header><main id=\"main\" role=\"main\">",
            esc(spec.brand),
            esc(spec.space)
        ),
        Markup::Wrapping => format!(
            "<div class=\"akto-top\"><strong>{}</strong> {logout}</div><div class=\"akto-card\">",
            esc(spec.space)
        ),
        Markup::LabelledBy => format!(
            "<div id=\"bandeau\">{} &gt; {} {logout}</div><div id=\"contenu\">",
            esc(spec.brand),
            esc(spec.space)
        ),
    };
    let footer = match spec.markup {
        Markup::ForLabel => "</main>",
        _ => "</div>",
    };
    let banner = spec.cookie_banner.map(cookie_banner).unwrap_or_default();
    format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{} — {}</title><style>{}</style></head><body>{banner}{header}<h1>{}</h1>{body}{footer}</body></html>",
        esc(title),
        esc(spec.space),
        spec.css,
        esc(title)
    )
}

fn alert(spec: &PortalSpec, msg: &str) -> String {
    let class = match spec.markup {
        Markup::ForLabel => "fr-alert fr-alert--error",
        Markup::Wrapping => "akto-error",
        Markup::LabelledBy => "erreur",
    };
    format!("<div class=\"{class}\" role=\"alert\">{}</div>", esc(msg))
}

fn info(msg: &str) -> String {
    format!("<p class=\"info\" role=\"status\">{}</p>", esc(msg))
}

fn button(spec: &PortalSpec, layout: Layout, label: &str, value: &str) -> String {
    let class = match spec.markup {
        Markup::ForLabel => "fr-btn",
        Markup::Wrapping => "akto-btn",
        Markup::LabelledBy => "bouton",
    };
    if layout == Layout::ChangedMarkup {
        format!(
            "<input type=\"submit\" class=\"btn-{value}\" name=\"action\" value=\"{}\">",
            esc(label)
        )
    } else {
        format!(
            "<button type=\"submit\" class=\"{class}\" name=\"action\" value=\"{value}\">{}</button>",
            esc(label)
        )
    }
}

/// The script of an autocomplete control (`@ID@` is its input's id): typing clears the choice
/// and asks the portal for suggestions a moment later; they open in a list at the end of the
/// page, and a click on one is the choice.
const SUGGEST_JS: &str = "(function(){var i=document.getElementById('@ID@'),h=document.getElementById('@ID@-v'),t=null,asked='';var close=function(){var p=document.getElementById('@ID@-list');if(p)p.remove();i.setAttribute('aria-expanded','false');};i.addEventListener('input',function(){h.value='';clearTimeout(t);var q=i.value.replace(/\\s/g,'');t=setTimeout(function(){asked=q;fetch(location.pathname.replace(/\\/[0-9]+\\/etape\\/[0-9]+$/,'')+'/suggestions?q='+encodeURIComponent(q),{credentials:'same-origin'}).then(function(r){return r.json();}).then(function(j){if(asked!==q)return;close();if(!j.suggestions.length)return;var p=document.createElement('div');p.id='@ID@-list';p.setAttribute('role','listbox');var r=i.getBoundingClientRect();p.style.cssText='position:absolute;background:#fff;border:1px solid #999;z-index:10;left:'+(r.left+scrollX)+'px;top:'+(r.bottom+scrollY)+'px';j.suggestions.forEach(function(s){var o=document.createElement('div');o.setAttribute('role','option');o.textContent=s.name+' — '+s.grouped;o.style.padding='4px 8px';o.addEventListener('click',function(){h.value=s.value;i.value=s.value;close();});p.appendChild(o);});document.body.appendChild(p);i.setAttribute('aria-expanded','true');});},250);});i.addEventListener('keydown',function(e){if(e.key==='Escape')close();});})();";

/// One text-like control.
fn control(field: &Field, name: &str, id: &str, value: &str, attrs: &str) -> String {
    let req = if field.required { " required" } else { "" };
    match field.kind {
        Kind::Text | Kind::Number | Kind::Date | Kind::DateFr => {
            let (ty, extra) = match field.kind {
                Kind::Number => ("number", " min=\"0\" step=\"0.5\""),
                Kind::Date => ("date", ""),
                Kind::DateFr => ("text", " placeholder=\"jj/mm/aaaa\""),
                _ => ("text", ""),
            };
            format!(
                "<input type=\"{ty}\" id=\"{id}\" name=\"{name}\" value=\"{}\"{extra}{req}{attrs}>",
                esc(value)
            )
        }
        Kind::Select(options) => {
            let mut s = format!(
                "<select id=\"{id}\" name=\"{name}\"{req}{attrs}><option value=\"\">— Choisir —</option>"
            );
            for (v, text) in options {
                let sel = if *v == value { " selected" } else { "" };
                let _ = write!(
                    s,
                    "<option value=\"{}\"{sel}>{}</option>",
                    esc(v),
                    esc(text)
                );
            }
            s.push_str("</select>");
            s
        }
        Kind::Employee(choice) => {
            // Without the app, the employees every account starts with (no creation dialog).
            let mut s = format!(
                "<select id=\"{id}\" name=\"{name}\"{req}{attrs}><option value=\"\">— Choisir —</option>"
            );
            for (v, text) in crate::employees::seed_options(choice) {
                let sel = if v == value { " selected" } else { "" };
                let _ = write!(
                    s,
                    "<option value=\"{}\"{sel}>{}</option>",
                    esc(&v),
                    esc(&text)
                );
            }
            s.push_str("</select>");
            s
        }
        Kind::Checkbox => {
            let checked = if value == "oui" { " checked" } else { "" };
            format!(
                "<input type=\"checkbox\" id=\"{id}\" name=\"{name}\" value=\"oui\"{checked}{attrs}>"
            )
        }
        Kind::Suggest(_) => {
            // The visible input has no name: only a suggestion clicked fills the hidden one (its
            // script comes after the form, see `step_page`).
            format!(
                "<input type=\"text\" id=\"{id}\" value=\"{v}\" role=\"combobox\" aria-autocomplete=\"list\" aria-expanded=\"false\" autocomplete=\"off\"{req}{attrs}><input type=\"hidden\" id=\"{id}-v\" name=\"{name}\" value=\"{v}\">",
                v = esc(value),
            )
        }
        Kind::File => {
            // A file already received makes the input optional on a later visit.
            let req = if field.required && value.is_empty() {
                " required"
            } else {
                ""
            };
            format!(
                "<input type=\"file\" id=\"{id}\" name=\"{name}\" accept=\"application/pdf,.pdf\"{req}{attrs}>"
            )
        }
    }
}

fn render_field(
    spec: &PortalSpec,
    layout: Layout,
    field: &Field,
    n: usize,
    value: &str,
    stored_file: Option<&str>,
) -> String {
    let name = name_of(layout, field.key);
    let id = id_of(spec, layout, field.key, n);
    let star = if field.required { " *" } else { "" };
    let file_note = stored_file
        .map(|f| format!("<p class=\"hint\">Fichier déposé : {}</p>", esc(f)))
        .unwrap_or_default();
    let file_value = stored_file.unwrap_or("");
    let value = if field.kind == Kind::File {
        file_value
    } else {
        value
    };
    match markup_for(spec, layout) {
        Markup::ForLabel => {
            if field.kind == Kind::Checkbox {
                format!(
                    "<div class=\"fr-checkbox-group\">{}<label class=\"fr-label\" for=\"{id}\">{}</label></div>",
                    control(field, &name, &id, value, ""),
                    esc(field.label)
                )
            } else {
                format!(
                    "<div class=\"fr-input-group\"><label class=\"fr-label\" for=\"{id}\">{}{star}</label>{}{file_note}</div>",
                    esc(field.label),
                    control(field, &name, &id, value, " class=\"fr-input\"")
                )
            }
        }
        Markup::Wrapping => {
            // AKTO marks mandatory fields for assistive technology rather than with `required`.
            let aria = if field.required {
                " aria-required=\"true\""
            } else {
                ""
            };
            let mut f = *field;
            f.required = false;
            if field.kind == Kind::Checkbox {
                format!(
                    "<label class=\"akto-check\">{} {}</label>",
                    control(&f, &name, &id, value, aria),
                    esc(field.label)
                )
            } else {
                let star = if field.required {
                    " <abbr title=\"obligatoire\">*</abbr>"
                } else {
                    ""
                };
                let f = if field.kind == Kind::File { *field } else { f };
                format!(
                    "<label class=\"akto-field\"><span>{}{star}</span>{}</label>{file_note}",
                    esc(field.label),
                    control(&f, &name, &id, value, aria)
                )
            }
        }
        Markup::LabelledBy => {
            let lbl = format!("lb-{id}");
            if field.kind == Kind::Checkbox {
                format!(
                    "<tr><th></th><td>{}<span aria-hidden=\"true\"> {}</span></td></tr>",
                    control(
                        field,
                        &name,
                        &id,
                        value,
                        &format!(" aria-label=\"{}\"", esc(field.label))
                    ),
                    esc(field.label)
                )
            } else {
                format!(
                    "<tr><th scope=\"row\"><span id=\"{lbl}\">{}{star} :</span></th><td>{}{file_note}</td></tr>",
                    esc(field.label),
                    control(
                        field,
                        &name,
                        &id,
                        value,
                        &format!(" aria-labelledby=\"{lbl}\"")
                    )
                )
            }
        }
    }
}

/// The login form.
pub(crate) fn login_page(spec: &PortalSpec, layout: Layout, message: Option<&str>) -> String {
    let mut body = String::new();
    if let Some(m) = message {
        body.push_str(&alert(spec, m));
    }
    let user = Field {
        key: "username",
        label: spec.login_user_label,
        kind: Kind::Text,
        required: true,
    };
    let pass = Field {
        key: "password",
        label: spec.login_password_label,
        kind: Kind::Text,
        required: true,
    };
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{}\">",
        spec.login_path
    );
    if spec.login_placeholders {
        let _ = write!(
            body,
            "<p><input type=\"text\" name=\"username\" placeholder=\"{}\" autocomplete=\"username\"></p><p><input type=\"password\" name=\"password\" placeholder=\"{}\" autocomplete=\"current-password\"></p>",
            esc(spec.login_user_label),
            esc(spec.login_password_label)
        );
    } else {
        let u = render_field(spec, layout, &user, 900, "", None);
        let p = render_field(spec, layout, &pass, 901, "", None).replacen(
            "type=\"text\"",
            "type=\"password\"",
            1,
        );
        let (u, p) = (
            u.replace(&name_of(layout, "username"), "username"),
            p.replace(&name_of(layout, "password"), "password"),
        );
        if markup_for(spec, layout) == Markup::LabelledBy {
            let _ = write!(body, "<table class=\"form\">{u}{p}</table>");
        } else {
            body.push_str(&u);
            body.push_str(&p);
        }
    }
    let _ = write!(
        body,
        "<p><button type=\"submit\" class=\"login\">{}</button></p></form>",
        esc(spec.login_button)
    );
    page(spec, &format!("Connexion à {}", spec.space), &body, false)
}

/// The second-factor page.
pub(crate) fn code_page(spec: &PortalSpec, masked_email: &str, error: bool) -> String {
    let mut body = String::new();
    if error {
        body.push_str(&alert(spec, spec.two_factor_error));
    }
    let _ = write!(
        body,
        "<p>Un code de vérification à 6 chiffres vous a été envoyé par e-mail à {}. Il est valable 10 minutes.</p><form method=\"post\" action=\"{}/verification\"><label class=\"akto-field\"><span>{}</span><input type=\"text\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" aria-required=\"true\"></label><button type=\"submit\" class=\"akto-btn\">{}</button></form>",
        esc(masked_email),
        spec.login_path,
        esc(spec.two_factor_label),
        esc(spec.two_factor_button)
    );
    page(spec, "Vérification en deux étapes", &body, false)
}

/// The CAPTCHA challenge shown instead of the login form.
pub(crate) fn captcha_page(spec: &PortalSpec) -> String {
    let body = "<p>Pour continuer, résolvez le test ci-dessous.</p><div class=\"captcha\" role=\"img\" aria-label=\"Image de vérification\">7 x 3 = ?</div><form method=\"post\" action=\"/captcha\"><label>Réponse <input name=\"captcha\"></label><button type=\"submit\">Vérifier</button></form>";
    page(spec, spec.captcha_title, body, false)
}

/// The maintenance page.
pub(crate) fn maintenance_page(spec: &PortalSpec) -> String {
    page(
        spec,
        spec.maintenance_title,
        "<p>Une opération de maintenance est en cours. Merci de réessayer ultérieurement.</p>",
        false,
    )
}

/// The generic error page.
pub(crate) fn error_page(spec: &PortalSpec) -> String {
    page(
        spec,
        spec.error_title,
        "<p>Le service n'a pas pu traiter votre demande (erreur 500). Réessayez dans quelques instants.</p>",
        false,
    )
}

fn trainee_cell(spec: &PortalSpec, r: &Request) -> String {
    let last = r
        .values
        .get("trainee_last_name")
        .cloned()
        .unwrap_or_default();
    let first = r
        .values
        .get("trainee_first_names")
        .cloned()
        .unwrap_or_default();
    match spec.list_name {
        NameOrder::FirstLast => format!("{first} {last}"),
        NameOrder::LastUpperFirst => format!("{} {first}", last.to_uppercase()),
    }
}

/// Any date the form holds, shown `jj/mm/aaaa`.
fn date_fr(v: &str) -> String {
    let parts: Vec<&str> = v.split('-').collect();
    if parts.len() == 3 && parts[0].len() == 4 {
        format!("{}/{}/{}", parts[2], parts[1], parts[0])
    } else {
        v.to_owned()
    }
}

/// French money format `1 800,00 €` with a narrow no-break space.
pub(crate) fn money(cents: i64) -> String {
    let units = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    format!("{grouped},{:02}\u{a0}€", cents % 100)
}

/// One line of the list of requests: reference, trainee, action, start, status, amount,
/// comment, and the link that opens it.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct ListRow {
    pub(crate) cells: [String; 7],
    pub(crate) link: &'static str,
    pub(crate) href: String,
}

/// Where a request opens: its first step while a draft, else its summary. `app`: the route of
/// the single-page app (a fragment for hash routing) rather than the server's path.
pub(crate) fn request_href(spec: &PortalSpec, r: &Request, app: bool) -> String {
    let tail = if r.dossier.is_none() {
        format!("{}/etape/1", r.id)
    } else {
        format!("{}/recapitulatif", r.id)
    };
    match spec.spa() {
        Some(o) if app && o.routing == crate::spec::Routing::Hash => {
            format!("{}#/demandes/{tail}", spec.home_path)
        }
        _ => format!("{}/{tail}", spec.home_path),
    }
}

/// The lines of the list, as both front ends show them.
pub(crate) fn list_rows(spec: &PortalSpec, requests: &[&Request], app: bool) -> Vec<ListRow> {
    requests
        .iter()
        .map(|r| {
            let (amount, comment) = match &r.status {
                Status::Granted { amount_cents } => (money(*amount_cents), String::new()),
                Status::StartToConfirm {
                    amount_cents,
                    before,
                } => (
                    money(*amount_cents),
                    spec.start_confirmation
                        .map(|c| c.comment.replace("{date}", before))
                        .unwrap_or_default(),
                ),
                Status::StartConfirmed { amount_cents, .. } => {
                    (money(*amount_cents), String::new())
                }
                Status::Refused { reason } => (String::new(), reason.clone()),
                Status::DocumentsRequested { reason } => (String::new(), reason.clone()),
                _ => (String::new(), String::new()),
            };
            let value = |k: &str| r.values.get(k).cloned().unwrap_or_default();
            ListRow {
                cells: [
                    r.dossier.clone().unwrap_or_else(|| "—".into()),
                    trainee_cell(spec, r),
                    value("action_title"),
                    date_fr(&value("action_start")),
                    r.status.label(spec),
                    amount,
                    comment,
                ],
                link: if r.dossier.is_none() {
                    spec.resume_link
                } else {
                    spec.view_link
                },
                href: request_href(spec, r, app),
            }
        })
        .collect()
}

/// The list of the account's requests.
pub(crate) fn list_page(spec: &PortalSpec, requests: &[&Request], flash: Option<&str>) -> String {
    let h = &spec.headers;
    let mut body = String::new();
    if let Some(m) = flash {
        body.push_str(&info(m));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{}/nouvelle\"><button type=\"submit\" class=\"new\">{}</button></form>",
        spec.home_path,
        esc(spec.new_button)
    );
    let _ = write!(
        body,
        "<table class=\"demandes\"><caption>{}</caption><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>Actions</th></tr></thead><tbody>",
        esc(spec.list_title),
        esc(h.reference),
        esc(h.trainee),
        esc(h.action),
        esc(h.start),
        esc(h.status),
        esc(h.amount),
        esc(h.comment)
    );
    for row in list_rows(spec, requests, false) {
        let _ = write!(body, "<tr>");
        for c in &row.cells {
            let _ = write!(body, "<td>{}</td>", esc(c));
        }
        let _ = write!(
            body,
            "<td><a href=\"{}\">{}</a></td></tr>",
            esc(&row.href),
            esc(row.link)
        );
    }
    body.push_str("</tbody></table>");
    page(spec, spec.list_title, &body, true)
}

/// The establishments the login may act for: one row each, its link opening that space.
pub(crate) fn site_picker_page(
    spec: &PortalSpec,
    picker: &SitePicker,
    sites: &[(&str, &str, &str)],
) -> String {
    let (h_siret, h_name, h_town) = picker.headers;
    let mut body = format!(
        "<p>Votre identifiant donne accès aux établissements ci-dessous.</p><table class=\"listesites\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>",
        esc(h_siret),
        esc(h_name),
        esc(h_town)
    );
    for (n, (siret, name, town)) in sites.iter().enumerate() {
        // The SIRET as the portal prints it: 732 829 320 00074.
        let spaced = if siret.len() == 14 {
            format!(
                "{} {} {} {}",
                &siret[..3],
                &siret[3..6],
                &siret[6..9],
                &siret[9..]
            )
        } else {
            (*siret).to_owned()
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><a href=\"{}/{n}\">{}</a></td></tr>",
            esc(&spaced),
            esc(name),
            esc(town),
            picker.path,
            esc(picker.open_link)
        );
    }
    body.push_str("</tbody></table>");
    page(spec, picker.title, &body, true)
}

/// Puts, right under a space's title, which establishment it is for and the way back to the
/// picker.
pub(crate) fn insert_site_banner(page_html: &mut String, picker: &SitePicker, siret: &str) {
    let name = picker
        .sites
        .iter()
        .find(|(s, _, _)| *s == siret)
        .map_or("", |(_, n, _)| *n);
    let banner = format!(
        "<p class=\"etablissement\">{} {} (SIRET {}) — <a href=\"{}\">{}</a></p>",
        esc(picker.current_label),
        esc(name),
        esc(siret),
        picker.path,
        esc(picker.change_link)
    );
    if let Some(at) = page_html.find("</h1>") {
        page_html.insert_str(at + "</h1>".len(), &banner);
    }
}

/// The value a control shows before anyone typed in it: the pre-set extra controls hold one.
fn preset(spec: &PortalSpec, faults: &Faults, key: &str) -> &'static str {
    match faults.extra_control {
        ExtraControl::Unknown if spec.preset_extra.1.key == key => spec.preset_extra.2,
        ExtraControl::Harmless if HARMLESS_EXTRA.key == key => "oui",
        _ => "",
    }
}

/// A value as the portal keeps it when a page is saved (the `short_field` switch cuts one).
pub(crate) fn kept(spec: &PortalSpec, faults: &Faults, key: &str, value: String) -> String {
    if faults.short_field != ShortField::Off && spec.short_field.0 == key {
        value.chars().take(spec.short_field.1).collect()
    } else {
        value
    }
}

/// One field of a step as the switches in force show it, with what the request holds: the same
/// for the HTML page and the app's API.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct FieldView {
    pub(crate) key: &'static str,
    pub(crate) label: &'static str,
    /// `text`, `number`, `date`, `date_fr`, `select`, `checkbox` or `file`.
    pub(crate) kind: &'static str,
    pub(crate) required: bool,
    /// What the control holds: the value kept, else the preset one (`oui` for a ticked box).
    pub(crate) value: String,
    /// (submitted value, visible text) of a choice.
    pub(crate) options: Vec<(String, String)>,
    /// The name of the file received, for an upload.
    pub(crate) file: Option<String>,
    /// The limit the `short_field = announced` switch shows on the control.
    pub(crate) maxlength: Option<usize>,
}

/// The fields of a step (0-based) with what they hold.
pub(crate) fn step_view(
    spec: &PortalSpec,
    faults: &Faults,
    r: &Request,
    step: usize,
) -> Vec<(Field, FieldView)> {
    step_fields(spec, faults, step)
        .into_iter()
        .map(|field| {
            let value = r
                .values
                .get(field.key)
                .map(String::as_str)
                .unwrap_or_else(|| preset(spec, faults, field.key))
                .to_owned();
            let owned = |o: &[(&str, &str)]| {
                o.iter()
                    .map(|(v, t)| ((*v).to_owned(), (*t).to_owned()))
                    .collect::<Vec<_>>()
            };
            let (kind, options) = match field.kind {
                Kind::Text => ("text", Vec::new()),
                Kind::Number => ("number", Vec::new()),
                Kind::Date => ("date", Vec::new()),
                Kind::DateFr => ("date_fr", Vec::new()),
                Kind::Select(o) => ("select", owned(o)),
                Kind::Checkbox => ("checkbox", Vec::new()),
                Kind::File => ("file", Vec::new()),
                Kind::Suggest(o) => ("suggest", owned(o)),
                Kind::Employee(c) => ("employee", crate::employees::seed_options(c)),
            };
            let announced =
                faults.short_field == ShortField::Announced && field.key == spec.short_field.0;
            let view = FieldView {
                key: field.key,
                label: field.label,
                kind,
                required: field.required,
                value,
                options,
                file: r.files.get(field.key).map(|f| f.name.clone()),
                maxlength: announced.then_some(spec.short_field.1),
            };
            (field, view)
        })
        .collect()
}

/// One step of the request form.
pub(crate) fn step_page(
    spec: &PortalSpec,
    faults: &Faults,
    r: &Request,
    step: usize,
    errors: &[String],
    saved: bool,
) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<p class=\"steps\">Étape {} sur {} : {}</p>",
        step + 1,
        spec.steps.len(),
        esc(spec.steps[step].title)
    );
    for e in errors {
        body.push_str(&alert(spec, e));
    }
    if let (true, Some((_, ack))) = (saved, spec.save_each_step) {
        let _ = write!(body, "<h2 class=\"enregistre\">{}</h2>", esc(ack));
    }
    let _ = write!(
        body,
        "<form method=\"post\" enctype=\"multipart/form-data\" action=\"{}/{}/etape/{}\">",
        spec.home_path,
        r.id,
        step + 1
    );
    let layout = faults.layout;
    let markup = markup_for(spec, layout);
    let mut rows = String::new();
    let mut scripts = String::new();
    for (n, (field, view)) in step_view(spec, faults, r, step).iter().enumerate() {
        let mut html = render_field(spec, layout, field, n, &view.value, view.file.as_deref());
        if let Some(limit) = view.maxlength {
            let name = format!("name=\"{}\"", name_of(layout, field.key));
            html = html.replacen(
                &name,
                &format!("{name} maxlength=\"{limit}\" pattern=\".{{0,{limit}}}\""),
                1,
            );
        }
        rows.push_str(&html);
        if matches!(field.kind, Kind::Suggest(_)) {
            let id = id_of(spec, layout, field.key, n);
            let _ = write!(
                scripts,
                "<script>{}</script>",
                SUGGEST_JS.replace("@ID@", &id)
            );
        }
    }
    if markup == Markup::LabelledBy {
        let _ = write!(body, "<table class=\"form\">{rows}</table>");
    } else if layout == Layout::ChangedMarkup {
        let _ = write!(body, "<section class=\"grid\"><div>{rows}</div></section>");
    } else {
        body.push_str(&rows);
    }
    let _ = write!(
        body,
        "<p class=\"actions\">{}{}{}</p></form>",
        button(spec, layout, spec.draft_button, "draft"),
        spec.save_each_step
            .map(|(label, _)| button(spec, layout, label, "save"))
            .unwrap_or_default(),
        button(spec, layout, spec.next_button, "next")
    );
    body.push_str(&scripts);
    page(
        spec,
        &format!("Demande de prise en charge — {}", spec.steps[step].title),
        &body,
        true,
    )
}

fn shown_value(field: &Field, v: &str) -> String {
    match field.kind {
        Kind::Select(options) => options
            .iter()
            .find(|(code, _)| *code == v)
            .map(|(_, t)| (*t).to_owned())
            .unwrap_or_default(),
        Kind::Checkbox => if v == "oui" { "Oui" } else { "Non" }.into(),
        Kind::Date => date_fr(v),
        _ => v.to_owned(),
    }
}

/// The cost the `summary_differs` switch shows on the summary, and files: 100 € more.
pub(crate) fn summary_cost(r: &Request) -> Option<String> {
    let cents = crate::app::parse_cents(r.values.get("action_cost")?)? + 10_000;
    Some(format!("{},{:02}", cents / 100, cents % 100))
}

/// The label/value lines of the summary, as the switches in force state them.
pub(crate) fn summary_items(
    spec: &PortalSpec,
    faults: &Faults,
    r: &Request,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (i, _) in spec.steps.iter().enumerate() {
        for field in step_fields(spec, faults, i) {
            let v = if field.kind == Kind::File {
                r.files
                    .get(field.key)
                    .map(|f| format!("{} ({} octets)", f.name, f.size))
                    .unwrap_or_default()
            } else if matches!(field.kind, Kind::Employee(_)) {
                let v = |k: &str| r.values.get(k).map(String::as_str).unwrap_or("");
                if v("trainee_last_name").is_empty() {
                    String::new()
                } else {
                    crate::spec::EmployeeChoice::option_text(
                        v("trainee_last_name"),
                        v("trainee_first_names"),
                        v("trainee_birth_date"),
                    )
                }
            } else if faults.summary_differs && field.key == "action_cost" && r.dossier.is_none() {
                summary_cost(r).unwrap_or_default()
            } else {
                shown_value(
                    &field,
                    r.values.get(field.key).map(String::as_str).unwrap_or(""),
                )
            };
            out.push((field.label, v));
        }
    }
    out
}

/// The summary with "save draft" and the final submit; a filed request shows its number instead.
pub(crate) fn recap_page(spec: &PortalSpec, faults: &Faults, r: &Request) -> String {
    let layout = faults.layout;
    let mut body = String::new();
    if let Some(m) = crate::agreement::done_message(spec, r) {
        body.push_str(&info(&m));
    }
    if let Some(d) = &r.dossier {
        let _ = write!(
            body,
            "<p class=\"dossier\">{} <strong>{}</strong></p><p>{} : {}</p>",
            esc(spec.submitted_message),
            esc(d),
            esc(spec.headers.status),
            esc(&r.status.label(spec))
        );
    }
    if let Some((sc, comment)) = crate::agreement::awaited(spec, r) {
        let _ = write!(
            body,
            "<p class=\"commentaire\">{}</p><form method=\"get\" action=\"{}/{}/accord\">{}</form>",
            esc(&comment),
            spec.home_path,
            r.id,
            button(spec, layout, sc.button, "accord")
        );
    }
    body.push_str("<dl class=\"recap\">");
    for (label, v) in summary_items(spec, faults, r) {
        let _ = write!(body, "<dt>{}</dt><dd>{}</dd>", esc(label), esc(&v));
    }
    body.push_str("</dl>");
    if r.dossier.is_none() {
        let _ = write!(
            body,
            "<form method=\"post\" action=\"{home}/{id}/brouillon\" style=\"display:inline\">{}</form><form method=\"post\" action=\"{home}/{id}/transmettre\" style=\"display:inline\">{}</form>",
            button(spec, layout, spec.draft_button, "draft"),
            button(spec, layout, spec.submit_button, "submit"),
            home = spec.home_path,
            id = r.id
        );
    }
    page(spec, spec.recap_title, &body, true)
}

/// The step of the employer's action after the agreement: the comment, the box to tick (with
/// `error` above it when the portal refused), the button that validates; where the request
/// awaits no action, why, and the way back to its summary.
pub(crate) fn agreement_page(
    spec: &PortalSpec,
    faults: &Faults,
    r: &Request,
    error: Option<&str>,
) -> String {
    let layout = faults.layout;
    let recap = format!("{}/{}/recapitulatif", spec.home_path, r.id);
    let Some((sc, comment)) = crate::agreement::awaited(spec, r) else {
        let why = error.map(str::to_owned).unwrap_or_else(|| {
            crate::agreement::refusal_now(spec, r)
                .unwrap_or(crate::agreement::Refusal::NothingAwaited)
                .message()
        });
        let body = format!(
            "{}<p><a href=\"{}\">{}</a></p>",
            alert(spec, &why),
            esc(&recap),
            esc(spec.recap_title)
        );
        let title = spec
            .start_confirmation
            .map_or(spec.recap_title, |c| c.dialog_title);
        return page(spec, title, &body, true);
    };
    let mut body = String::new();
    if let Some(e) = error {
        body.push_str(&alert(spec, e));
    }
    let id = id_of(spec, layout, "attestation", 0);
    let name = name_of(layout, "attestation");
    let input =
        format!("<input type=\"checkbox\" id=\"{id}\" name=\"{name}\" value=\"on\" required>");
    let label = esc(sc.attestation);
    let row = match markup_for(spec, layout) {
        Markup::ForLabel => format!(
            "<div class=\"fr-checkbox-group\">{input}<label class=\"fr-label\" for=\"{id}\">{label}</label></div>"
        ),
        Markup::Wrapping => {
            format!("<p class=\"akto-check\">{input} <label for=\"{id}\">{label}</label></p>")
        }
        Markup::LabelledBy => format!(
            "<table class=\"form\"><tr><th></th><td>{input} <label for=\"{id}\">{label}</label></td></tr></table>"
        ),
    };
    let _ = write!(
        body,
        "<p class=\"commentaire\">{}</p><form method=\"post\" action=\"{}/{}/accord\">{row}<p class=\"actions\">{}</p></form><p><a href=\"{}\">Annuler</a></p>",
        esc(&comment),
        spec.home_path,
        r.id,
        button(spec, layout, sc.validate, "accord"),
        esc(&recap)
    );
    page(spec, sc.dialog_title, &body, true)
}

/// The page after an applied action under the `agreement_ack_hidden` switch: neither the
/// outcome nor the status, only that the request is being processed.
pub(crate) fn pending_page(spec: &PortalSpec) -> String {
    let body = format!(
        "{}<p><a href=\"{}\">{}</a></p>",
        info(crate::agreement::PENDING),
        spec.home_path,
        esc(spec.list_title)
    );
    page(spec, spec.recap_title, &body, true)
}

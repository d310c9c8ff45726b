//! What each sandboxed portal asks and how it words it: the data behind the pages.
//!
//! The three portals ask roughly the same things (DOMAIN.md §2) but group them in different steps,
//! word them differently and lay them out with different markup. Everything a script has to know
//! about a portal's look is a [`PortalSpec`]; each portal's own is the `sandbox.rs` of its folder in
//! `portals/src/`, listed once in the registry (`portals/src/registry.rs`).

use domain::OpcoId;

/// Expands the registry (`portals/src/registry.rs`): a module per portal compiling that portal's
/// `sandbox.rs` from its folder in `portals/src/`, and [`SANDBOXED`].
///
/// The specs are included as source rather than reached through a dependency: `portals` depends
/// on `sandboxes` for its tests only, so `sandboxes` cannot depend on `portals` (a cycle), and the
/// scripts must not carry the sandboxes at run time. Including the file keeps each portal in one
/// folder while the spec is compiled here, against this crate's types.
macro_rules! registered {
    ($($folder:ident => $opco:ident),* $(,)?) => {
        $(
            mod $folder {
                include!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../portals/src/",
                    stringify!($folder),
                    "/sandbox.rs"
                ));
            }
        )*

        /// Every sandboxed portal, in the registry's order.
        pub static SANDBOXED: &[&PortalSpec] = &[$(&$folder::SPEC),*];

        /// The folder names of the registry, accepted as slugs too (`opco_ep`).
        const FOLDERS: &[(&str, OpcoId)] = &[$((stringify!($folder), OpcoId::$opco)),*];
    };
}

include!("../../portals/src/registry.rs");

/// The sandbox of this OPCO's portal, if it has one.
pub fn spec(opco: OpcoId) -> Option<&'static PortalSpec> {
    SANDBOXED.iter().copied().find(|s| s.opco == opco)
}

/// Parses an OPCO's slug (or its folder's name) into a sandboxed portal.
pub fn parse_portal(s: &str) -> Result<OpcoId, UnknownPortal> {
    let opco = FOLDERS
        .iter()
        .find(|(folder, _)| *folder == s)
        .map(|(_, o)| *o)
        .or_else(|| OpcoId::from_slug(s).ok());
    match opco {
        Some(o) if spec(o).is_some() => Ok(o),
        _ => Err(UnknownPortal(s.to_owned())),
    }
}

/// A slug that names no sandboxed portal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "portail inconnu « {0} » : attendu {list}",
    list = slugs().join(", ")
)]
pub struct UnknownPortal(pub String);

/// The slugs of the sandboxed portals.
pub fn slugs() -> Vec<&'static str> {
    SANDBOXED.iter().map(|s| s.opco.slug()).collect()
}

/// A cookie banner: what it says and the button that dismisses it.
#[derive(Clone, Copy, Debug)]
pub struct CookieBanner {
    pub text: &'static str,
    pub accept_button: &'static str,
}

/// How a portal's list shows the trainee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameOrder {
    /// `DUPONT Marie Claire`.
    LastUpperFirst,
    /// `Marie Claire Dupont`.
    FirstLast,
}

/// How a portal lays out a form field and its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Markup {
    /// `<label for=id>` beside the control (DSFR style).
    ForLabel,
    /// The control inside its `<label>`.
    Wrapping,
    /// A table whose header cell is referenced by `aria-labelledby`; checkboxes use `aria-label`.
    LabelledBy,
}

/// The kind of control a field is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// `<input type=date>`, ISO value.
    Date,
    /// A free-text date `jj/mm/aaaa`.
    DateFr,
    Number,
    /// Options as (submitted value, visible text).
    Select(&'static [(&'static str, &'static str)]),
    Checkbox,
    /// A PDF upload.
    File,
    /// An autocomplete over these (value, name) pairs: what is typed asks the portal for
    /// suggestions (`<home>/suggestions?q=`), and only a suggestion clicked is sent.
    Suggest(&'static [(&'static str, &'static str)]),
    /// The trainee, chosen among the account's employees (a combobox) or created in a dialog
    /// first (single-page apps only); saving the step copies the employee's name, birth date,
    /// job and contract into the request (`trainee_*`).
    Employee(&'static EmployeeChoice),
}

/// One employee the portal keeps for an account (every account starts with the same ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Employee {
    pub last_name: &'static str,
    pub first_names: &'static str,
    /// `jj/mm/aaaa`.
    pub birth_date: &'static str,
    pub job: &'static str,
    /// The code of the contract among `EmployeeChoice::contracts`.
    pub contract: &'static str,
}

/// How a portal lets the employer pick the trainee among its employees, or create one.
#[derive(Debug, PartialEq, Eq)]
pub struct EmployeeChoice {
    /// The employees every account has before anyone is created.
    pub seeds: &'static [Employee],
    /// The button beside the combobox that opens the dialog, and the dialog's title.
    pub create_button: &'static str,
    pub dialog_title: &'static str,
    pub save_button: &'static str,
    /// The dialog's labels: last name, first names, birth date (`jj/mm/aaaa`), job, contract.
    pub labels: [&'static str; 5],
    pub contracts: &'static [(&'static str, &'static str)],
    /// Where the saved employee is refused when one with the same name and birth date exists.
    pub duplicate: &'static str,
}

impl EmployeeChoice {
    /// What an employee's option says: `DUPONT Paul — né(e) le 12/03/1985`.
    pub fn option_text(last_name: &str, first_names: &str, birth_date: &str) -> String {
        format!(
            "{} {} — né(e) le {}",
            last_name.trim().to_uppercase(),
            first_names.trim(),
            birth_date.trim()
        )
    }
}

/// One field of a step.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// Stable key of the value (the form's `name` in the standard layout).
    pub key: &'static str,
    /// What a person reads.
    pub label: &'static str,
    pub kind: Kind,
    pub required: bool,
}

/// One page of the multi-step request form.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub title: &'static str,
    pub fields: &'static [Field],
}

/// How the portal words each status of a request.
#[derive(Clone, Copy, Debug)]
pub struct StatusWords {
    pub draft: &'static str,
    pub filed: &'static str,
    pub in_review: &'static str,
    pub documents_requested: &'static str,
    pub granted: &'static str,
    pub refused: &'static str,
    pub cancelled: &'static str,
}

/// The headers of the "my requests" table, in order.
#[derive(Clone, Copy, Debug)]
pub struct ListHeaders {
    pub reference: &'static str,
    pub trainee: &'static str,
    pub action: &'static str,
    pub start: &'static str,
    pub status: &'static str,
    pub amount: &'static str,
    pub comment: &'static str,
}

/// How a single-page app keeps its place in the address bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routing {
    /// `history.pushState`: `/mon-espace/dossiers/4/etape/2`; the server answers every such path
    /// with the app.
    History,
    /// The fragment: `/adherent/demandes#/demandes/4/etape/2`.
    Hash,
}

/// What a portal's single-page app is made of, beyond its routing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpaOptions {
    pub routing: Routing,
    /// Each field (label and control) inside its own web component with an open shadow root.
    pub web_components: bool,
    /// Choices as ARIA comboboxes whose `role=listbox` opens in an overlay at the end of `<body>`
    /// (no native `<select>`).
    pub custom_comboboxes: bool,
    /// `JJ/MM/AAAA` text inputs that reformat as one types and keep only typed digits.
    pub masked_dates: bool,
    /// The provider's SIRET is chosen among suggestions the API gives for what is typed.
    pub provider_autocomplete: bool,
    /// The "session about to expire" dialog: its text and the button that keeps the session.
    pub session_warning: (&'static str, &'static str),
    /// Lightning-style components (Salesforce Experience Cloud, Aura): each field in its own
    /// `lightning-*` element with an open shadow root; a combobox's listbox inside that root,
    /// closed as soon as the focus leaves the combobox; boxes that ignore a script's click.
    pub lightning: bool,
    /// The first step opens as a modal dialog with this title over the list (« Nouvelle
    /// demande » opens a pop-up); `None`: a page like the others.
    pub first_step_dialog: Option<&'static str>,
}

/// A legacy web app in frames: once logged in, a page of the space opened as a document (the
/// address bar, a bookmark) is answered with the frameset (a banner, a menu, the content), the
/// page itself shown in the content frame; the pages ask for as frames are the pages themselves
/// (the server tells them apart by `Sec-Fetch-Dest`). Every step loads a new document in the
/// content frame, none in the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FramesetOptions {
    /// The content frame's name; the menu's links target it.
    pub content_frame: &'static str,
    /// The banner frame's page and what it says.
    pub banner_path: &'static str,
    pub banner: &'static str,
    /// The menu frame's page and its links: text, path.
    pub menu_path: &'static str,
    pub menu: &'static [(&'static str, &'static str)],
}

/// How a portal's pages are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stack {
    /// Every page is a document the server renders; every step loads a new one.
    ServerRendered,
    /// Server-rendered pages shown in the content frame of a frameset (see [`FramesetOptions`]).
    Frameset(FramesetOptions),
    /// After the login (server-rendered), one JavaScript app renders every page from the JSON
    /// API under `/api/`; a step loads no new document.
    Spa(SpaOptions),
}

/// Everything that makes one portal look like itself.
#[derive(Debug)]
pub struct PortalSpec {
    pub opco: OpcoId,
    /// How the pages after the login are made.
    pub stack: Stack,
    pub brand: &'static str,
    pub space: &'static str,
    pub css: &'static str,
    pub markup: Markup,
    /// The markup of the `changed-markup` variant: same labels, different structure and ids.
    pub changed_markup: Markup,
    pub cookie: &'static str,
    pub login_path: &'static str,
    pub home_path: &'static str,
    /// Login field labels (placeholders only when `login_placeholders`).
    pub login_user_label: &'static str,
    pub login_password_label: &'static str,
    pub login_placeholders: bool,
    pub login_button: &'static str,
    /// An identity provider on its own origin that `login_path` sends the browser to (the
    /// `login_*` labels above are then unused); `None`: the login form is the portal's own.
    pub idp: Option<&'static IdpSpec>,
    /// A cookie banner over every page until its button is pressed (then remembered by a cookie).
    pub cookie_banner: Option<CookieBanner>,
    pub login_error: &'static str,
    pub session_expired: &'static str,
    /// Whether a code "sent by e-mail" is asked after the password: by the portal's own login,
    /// or by its identity provider (`idp`, with `email_code`), whose words are then these too.
    pub two_factor: bool,
    pub two_factor_label: &'static str,
    pub two_factor_button: &'static str,
    pub two_factor_error: &'static str,
    pub list_title: &'static str,
    pub new_button: &'static str,
    pub resume_link: &'static str,
    pub view_link: &'static str,
    /// How the list writes the trainee's name.
    pub list_name: NameOrder,
    pub headers: ListHeaders,
    pub steps: &'static [Step],
    pub next_button: &'static str,
    pub draft_button: &'static str,
    pub recap_title: &'static str,
    pub submit_button: &'static str,
    pub draft_saved: &'static str,
    pub submitted_message: &'static str,
    pub statuses: StatusWords,
    pub max_upload_bytes: usize,
    pub upload_refused: &'static str,
    pub captcha_title: &'static str,
    pub maintenance_title: &'static str,
    pub error_title: &'static str,
    /// (step index, field key, new label) for the `renamed-label` variant.
    pub renamed: (usize, &'static str, &'static str),
    /// (step index, field) added by the `new-mandatory-field` variant.
    pub new_mandatory: (usize, Field),
    pub dossier_prefix: &'static str,
    /// Formats a dossier number from the prefix, a sequence number and the year.
    pub dossier_format: fn(&str, u32, i32) -> String,
    /// (field key, N) for the `short_field` switch: that field keeps only its first N characters.
    pub short_field: (&'static str, usize),
    /// (step index, field, pre-set value) for the `extra_control = unknown` switch: an optional
    /// control the scripts do not know, holding a value nobody chose.
    pub preset_extra: (usize, Field, &'static str),
    /// (save button, acknowledgement) when each step has its own save: « Suivant » then moves on
    /// without keeping what the step holds unless it was saved first (server-rendered only).
    pub save_each_step: Option<(&'static str, &'static str)>,
    /// A page choosing the establishment (by SIRET) whose space is opened, between the login and
    /// the space; `None`: the login opens the space at once.
    pub site_picker: Option<&'static SitePicker>,
    /// After the agreement, what the employer must do on the portal before a date (confirm the
    /// start, accept the offer); `None`: an agreement needs nothing more of the employer.
    pub start_confirmation: Option<StartConfirmation>,
}

/// The step after the agreement on a portal where the employer must act or the agreement
/// lapses (Uniformation's start to confirm, Afdas's offer to accept): how the list words it,
/// and the action itself (a button on the summary, a step with a box to tick, its validation).
#[derive(Clone, Copy, Debug)]
pub struct StartConfirmation {
    /// The status label while the start is not confirmed.
    pub label: &'static str,
    /// The comment beside it; `{date}` is the last day (`jj/mm/aaaa`).
    pub comment: &'static str,
    /// Days after the agreement the start may be confirmed in.
    pub days: i64,
    /// The button on a filed request's summary while the action is awaited.
    pub button: &'static str,
    /// The title of the step it opens: a modal dialog in a single-page app, else its own page
    /// (`<home>/<id>/accord`).
    pub dialog_title: &'static str,
    /// The label of the box that step makes the employer tick before validating.
    pub attestation: &'static str,
    /// The button of that step that performs the action.
    pub validate: &'static str,
    /// The status label once the action is done.
    pub done_label: &'static str,
    /// What the summary says once it is done; `{date}` is the day it was (`jj/mm/aaaa`).
    pub done_message: &'static str,
}

/// The page, after a central login, that lists the establishments the login may act for; each
/// row opens that establishment's space, which shows only its own requests.
#[derive(Debug)]
pub struct SitePicker {
    pub path: &'static str,
    pub title: &'static str,
    /// The table's headers: SIRET, company name, town.
    pub headers: (&'static str, &'static str, &'static str),
    /// The link of each row.
    pub open_link: &'static str,
    /// The establishments every account of the sandbox may act for: SIRET, name, town. The first
    /// is the one the tests' filings are for (`Faults::sites` removes it or lists it twice).
    pub sites: &'static [(&'static str, &'static str, &'static str)],
    /// The link, in the space, back to the picker.
    pub change_link: &'static str,
    /// What the space says of the establishment it is for, before its name and SIRET.
    pub current_label: &'static str,
}

/// How a login on another origin hands the browser back to the portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdpFlow {
    /// OpenID Connect: `client_id`, `redirect_uri`, `state` and `nonce` in, `#code=…&state=…`
    /// back in the URL fragment (read by the callback page's script, posted to the portal).
    OidcFragment,
    /// A central login of an ASP.NET site: `?ReturnUrl=<the portal's callback>` in, the browser
    /// sent back to that address with `?ticket=…`, which the portal redeems server-side.
    ReturnUrl,
}

/// An identity provider, served on a second port of the sandbox (its own origin), in the manner
/// of the one a portal logs in through. Generic over its paths: Entra External ID's
/// `/<tenant>/oauth2/v2.0/authorize`, Keycloak's
/// `/auth/realms/<realm>/protocol/openid-connect/auth`, or a central `/Home/Login`.
#[derive(Debug)]
pub struct IdpSpec {
    pub flow: IdpFlow,
    /// What its pages are titled.
    pub title: &'static str,
    pub css: &'static str,
    /// The authorization endpoint's path (its pages live under it).
    pub authorize_path: &'static str,
    /// The token endpoint's path, where a portal redeems a code.
    pub token_path: &'static str,
    /// The portal's client id, the only one it knows.
    pub client_id: &'static str,
    /// The portal's page that reads the code from the URL fragment (its `redirect_uri`).
    pub callback_path: &'static str,
    pub email_label: &'static str,
    /// The button between the e-mail and the password, when they are asked on two pages (Entra);
    /// `None`: both on one page, sent by `sign_in_button` (Keycloak).
    pub next_button: Option<&'static str>,
    pub password_label: &'static str,
    pub sign_in_button: &'static str,
    pub login_error: &'static str,
    /// Whether a one-time code is e-mailed after the password.
    pub email_code: bool,
    /// The sentence before the masked address the code went to.
    pub code_prompt: &'static str,
    pub code_label: &'static str,
    pub code_button: &'static str,
    /// Tries a code has before it is void.
    pub code_tries: u32,
    /// A wrong code with tries left; `{n}` is their number.
    pub code_wrong: &'static str,
    /// A wrong code with no try left: the code is void.
    pub code_void: &'static str,
    pub resend_button: &'static str,
    /// The page of a forced password renewal.
    pub renewal_title: &'static str,
    pub new_password_label: &'static str,
    pub confirm_password_label: &'static str,
    pub renewal_button: &'static str,
    pub captcha_title: &'static str,
    pub maintenance_title: &'static str,
    pub error_title: &'static str,
}

/// The control of the `extra_control = harmless` switch, on the first step of every portal: a
/// pre-ticked box the portals' facts list as known to be harmless.
pub const HARMLESS_EXTRA: Field = Field {
    key: "copy_by_email",
    label: "Recevoir une copie de la demande par e-mail",
    kind: Kind::Checkbox,
    required: false,
};

impl PortalSpec {
    /// The first autocomplete field of the form, with its choices.
    pub fn suggest_field(
        &self,
    ) -> Option<(&'static Field, &'static [(&'static str, &'static str)])> {
        self.steps
            .iter()
            .flat_map(|s| s.fields.iter())
            .find_map(|f| match f.kind {
                Kind::Suggest(choices) => Some((f, choices)),
                _ => None,
            })
    }

    /// The field with this key, wherever it is.
    pub fn field(&self, key: &str) -> Option<&'static Field> {
        self.steps
            .iter()
            .flat_map(|s| s.fields.iter())
            .find(|f| f.key == key)
    }

    /// The single-page app's options, when the portal is one.
    pub fn spa(&self) -> Option<&SpaOptions> {
        match &self.stack {
            Stack::Spa(o) => Some(o),
            Stack::ServerRendered | Stack::Frameset(_) => None,
        }
    }

    /// The frames of a legacy web app, if its pages are shown in frames.
    pub fn frameset(&self) -> Option<&FramesetOptions> {
        match &self.stack {
            Stack::Frameset(o) => Some(o),
            Stack::ServerRendered | Stack::Spa(_) => None,
        }
    }

    /// Formats the n-th dossier number of this portal.
    pub fn dossier_number(&self, seq: u32, year: i32) -> String {
        (self.dossier_format)(self.dossier_prefix, seq, year)
    }
}

/// A field, briefly (the portals' `sandbox.rs` files build theirs with it).
pub(crate) const fn field(
    key: &'static str,
    label: &'static str,
    kind: Kind,
    required: bool,
) -> Field {
    Field {
        key,
        label,
        kind,
        required,
    }
}

//! The one flow every portal follows; each portal folder gives its facts, its form pages and its
//! status reading.

use std::path::PathBuf;

use browser::locator::{Locator, Role, TableRow, normalize_label};
use chrono::NaiveDate;
use domain::OpcoId;
use regex::Regex;

use crate::error::{AfterSubmit, HumanInput, PermanentReason, PortalError};
use crate::facts::{Facts, SitePicker, Warning};
use crate::filing::Filing;
use crate::readback::{self, KeptValue, Readback};
use crate::session::{FieldFill, Flow, PageFill, Session, Stop, Value};
use crate::status::DossierStatus;

/// The recorded step naming the draft an attempt works on (its URL).
pub const DRAFT_OPENED: &str = "draft opened";

/// The draft that earlier attempts of `job_id` started, from their recordings: the next attempt
/// resumes it rather than opening a second one.
pub fn started_draft(store: &recordings::Store, job_id: &str) -> Option<String> {
    let attempts = store.attempts(job_id).ok()?;
    attempts
        .iter()
        .flat_map(|a| &a.steps)
        .filter(|st| st.action == DRAFT_OPENED)
        .filter_map(|st| st.url.clone())
        .next_back()
}

/// What a prefill leaves for staff: a draft on the portal and the screenshots to review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefilled {
    /// The URL of the draft's first page on the portal.
    pub draft_url: String,
    /// Whether an existing draft for the same trainee and action was completed.
    pub resumed_draft: bool,
    /// Every filled page and the summary, as the portal showed them, in order.
    pub final_screenshots: Vec<PathBuf>,
    pub warnings: Vec<Warning>,
    /// Every field as the portal's summary states it kept, read after the pages were saved.
    pub kept: Vec<KeptValue>,
    /// Time spent reading back what the portal kept (controls of every page, the summary).
    pub readback_time: std::time::Duration,
}

/// The portal's answer to the final submit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    pub dossier: String,
    /// Screenshot of the portal's acknowledgement.
    pub receipt_screenshot: PathBuf,
}

/// A request already on the portal for the same trainee and action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Existing {
    /// The dossier number, once submitted; `None` for a draft. A reference in a format the
    /// script does not know is kept as the portal shows it (see `recognised`).
    pub dossier: Option<String>,
    /// Whether `dossier` has the portal's known format.
    pub recognised: bool,
    /// The link that opens it.
    pub href: Option<String>,
    /// The portal's status wording.
    pub status_label: String,
}

/// A portal script: facts as data, the pages of its form, how it reads statuses.
pub struct PortalScript {
    pub(crate) facts: Facts,
    pub(crate) pages: fn(&Filing, &Facts) -> Vec<PageFill>,
    pub(crate) read_status: fn(&TableRow, &Facts, &Regex) -> Result<Option<DossierStatus>, String>,
    pub(crate) dossier_re: Regex,
}

impl std::fmt::Debug for PortalScript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalScript")
            .field("opco", &self.facts.opco)
            .finish()
    }
}

fn finish<T>(r: Flow<T>) -> Result<T, PortalError> {
    r.map_err(|s| match s {
        Stop::Fail(e) => e,
        Stop::Expired => PortalError::Retryable {
            step: "session".into(),
            reason: "the portal session expired twice in one attempt".into(),
            screenshot: None,
        },
    })
}

fn same_text(a: &str, b: &str) -> bool {
    a.split_whitespace().collect::<Vec<_>>() == b.split_whitespace().collect::<Vec<_>>()
}

/// Runs a flow (an expression using `$session`), logging in again once if the portal drops the
/// session on the way. A macro rather than a function taking an async closure: the future stays
/// `Send` for every lifetime, so a portal session runs as an ordinary task of its job.
macro_rules! with_relogin {
    ($script:expr, $session:ident, $flow:expr) => {{
        let mut expired_once = false;
        loop {
            let res = async {
                $session.login(&$script.facts).await?;
                $flow.await
            }
            .await;
            match res {
                Err(Stop::Expired) if !expired_once => {
                    tracing::info!(opco = %$script.facts.opco, step = $session.step(), "Session expired; logging in again");
                    expired_once = true;
                }
                other => break finish(other),
            }
        }
    }};
}

mod agreement;

pub use agreement::AgreementDone;

impl PortalScript {
    pub(crate) fn new(
        facts_toml: &str,
        pages: fn(&Filing, &Facts) -> Vec<PageFill>,
        read_status: fn(&TableRow, &Facts, &Regex) -> Result<Option<DossierStatus>, String>,
    ) -> Result<Self, String> {
        let facts = Facts::from_toml(facts_toml)?;
        let dossier_re = Regex::new(&facts.ui.dossier_pattern).map_err(|e| e.to_string())?;
        Ok(Self {
            facts,
            pages,
            read_status,
            dossier_re,
        })
    }

    /// The OPCO this script files with.
    pub fn opco(&self) -> OpcoId {
        self.facts.opco
    }

    /// The OPCO's facts.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// Warnings for staff (deadline, caps, subrogation) for a filing made on `today`.
    pub fn warnings(&self, filing: &Filing, today: NaiveDate) -> Vec<Warning> {
        self.facts.warnings(filing, today)
    }

    /// Looks on the portal for a request for the same trainee and action.
    pub async fn find(
        &self,
        session: &mut Session<'_>,
        filing: &Filing,
    ) -> Result<Option<Existing>, PortalError> {
        with_relogin!(self, session, self.find_existing(session, filing))
    }

    /// Logs in, creates or resumes the request, fills every page, uploads the attachments, saves
    /// the draft and stops before the final submit. Never files: a request already submitted
    /// for the same trainee and action is [`PortalError::AlreadyFiled`].
    pub async fn prefill(
        &self,
        session: &mut Session<'_>,
        filing: &Filing,
    ) -> Result<Prefilled, PortalError> {
        if let Err(e) = filing.validate() {
            return Err(PortalError::Permanent {
                reason: PermanentReason::InvalidFiling(e.to_string()),
                screenshot: None,
            });
        }
        self.attachments_fit(filing)?;
        let mut warnings = self.warnings(filing, chrono::Local::now().date_naive());
        let mut out = with_relogin!(self, session, self.prefill_flow(session, filing))?;
        warnings.append(&mut out.warnings);
        out.warnings = warnings;
        Ok(out)
    }

    /// Opens the draft, checks every value against the confirmed filing, submits, and returns the
    /// portal's dossier number. A request already submitted is [`PortalError::AlreadyFiled`];
    /// any difference is [`PortalError::ValuesDiffer`] and nothing is submitted.
    pub async fn submit(
        &self,
        session: &mut Session<'_>,
        filing: &Filing,
    ) -> Result<Submitted, PortalError> {
        if let Err(e) = filing.validate() {
            return Err(PortalError::Permanent {
                reason: PermanentReason::InvalidFiling(e.to_string()),
                screenshot: None,
            });
        }
        with_relogin!(self, session, self.submit_flow(session, filing))
    }

    /// Refuses, before the portal is opened, an attachment larger than the portal takes (its
    /// facts' `max_attachment_bytes`): the portal would refuse it after the upload, or cut it.
    fn attachments_fit(&self, filing: &Filing) -> Result<(), PortalError> {
        let Some(max) = self.facts.rules.max_attachment_bytes else {
            return Ok(());
        };
        for page in (self.pages)(filing, &self.facts) {
            for f in &page.fields {
                let Value::File(path) = &f.value else {
                    continue;
                };
                let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                if size > max {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    return Err(PortalError::Permanent {
                        reason: PermanentReason::UploadRefused {
                            file: format!("{name} ({})", f.label),
                            message: format!(
                                "il pèse {}, et {} n'accepte pas plus de {} par pièce jointe : réduisez-le (PDF compressé ou scanné en plus basse résolution), puis relancez le préremplissage ; rien n'a été envoyé au portail",
                                megabytes(size),
                                self.facts.name,
                                megabytes(max)
                            ),
                        },
                        screenshot: None,
                    });
                }
            }
        }
        Ok(())
    }

    /// Every dossier of the account with its status mapped to our model. A status wording not
    /// in the facts is [`PortalError::PortalChanged`]: it goes to a human, never to a guess.
    pub async fn statuses(
        &self,
        session: &mut Session<'_>,
    ) -> Result<Vec<DossierStatus>, PortalError> {
        with_relogin!(self, session, self.statuses_flow(session))
    }

    /// The requests of the space of the establishment `siret` (on a portal with a site picker,
    /// that space is opened first; elsewhere the login's one space).
    async fn list_rows(&self, s: &mut Session<'_>, siret: &str) -> Flow<Vec<TableRow>> {
        if let Some(picker) = &self.facts.site_picker {
            self.open_site(s, picker, siret).await?;
        }
        self.read_list(s).await
    }

    /// The establishments the site picker lists, as the portal shows them.
    async fn sites(&self, s: &mut Session<'_>, picker: &SitePicker) -> Flow<Vec<Site>> {
        s.goto(&self.facts, &picker.path).await?;
        s.expect_heading(&self.facts, &picker.title).await?;
        let header = normalize_label(&picker.siret_header);
        let tables = s.tables().await?;
        let Some(table) = tables
            .into_iter()
            .find(|t| t.headers.iter().any(|h| normalize_label(h) == header))
        else {
            return Err(s
                .changed(format!(
                    "no table of establishments with a «{}» column",
                    picker.siret_header
                ))
                .await);
        };
        Ok(table
            .rows
            .iter()
            .map(|r| Site {
                siret: r
                    .cell(&picker.siret_header)
                    .unwrap_or("")
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect(),
                shown: r
                    .cells
                    .iter()
                    .map(|(_, v)| v.as_str())
                    .filter(|v| !v.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · "),
                href: r.links.first().map(|a| a.href.clone()),
            })
            .collect())
    }

    /// Opens the space of the establishment `siret`: exactly one row of the picker must carry
    /// it, or a person decides (never the first one that looks right).
    async fn open_site(&self, s: &mut Session<'_>, picker: &SitePicker, siret: &str) -> Flow<()> {
        s.set_step("choose establishment");
        let sites = self.sites(s, picker).await?;
        let matching: Vec<&Site> = sites.iter().filter(|x| x.siret == siret).collect();
        let href = match matching.as_slice() {
            [one] => one.href.clone(),
            _ => None,
        };
        let Some(href) = href else {
            let screenshot = s
                .snapshot("establishment not chosen", Some("site choice"))
                .await;
            return Err(Stop::Fail(PortalError::NeedsHuman {
                step: s.step().to_owned(),
                ask: HumanInput::SiteChoice {
                    siret: siret.to_owned(),
                    found: matching.len(),
                    listed: sites.iter().map(|x| x.shown.clone()).collect(),
                },
                screenshot,
            }));
        };
        s.goto(&self.facts, &href).await
    }

    /// The list of requests of the space that is open.
    async fn read_list(&self, s: &mut Session<'_>) -> Flow<Vec<TableRow>> {
        s.goto(&self.facts, &self.facts.ui.home_path).await?;
        s.expect_heading(&self.facts, &self.facts.ui.list_title)
            .await?;
        let status_header = normalize_label(&self.facts.list.status);
        let tables = s.tables().await?;
        let Some(table) = tables.into_iter().find(|t| {
            t.headers
                .iter()
                .any(|h| normalize_label(h) == status_header)
        }) else {
            return Err(s
                .changed(format!(
                    "no table of requests with a «{}» column",
                    self.facts.list.status
                ))
                .await);
        };
        let headers: Vec<String> = table.headers.iter().map(|h| normalize_label(h)).collect();
        let l = &self.facts.list;
        for h in [&l.reference, &l.trainee, &l.action, &l.start, &l.status] {
            if !headers.contains(&normalize_label(h)) {
                return Err(s
                    .changed(format!("the list of requests has no «{h}» column"))
                    .await);
            }
        }
        Ok(table.rows)
    }

    fn matches(&self, row: &TableRow, filing: &Filing) -> bool {
        let l = &self.facts.list;
        let trainee = row.cell(&l.trainee).unwrap_or("").to_lowercase();
        let last = filing.trainee.last_name.trim().to_lowercase();
        let first = filing.trainee.first_names.trim().to_lowercase();
        let action = row.cell(&l.action).unwrap_or("").trim();
        let start = row.cell(&l.start).unwrap_or("").trim();
        let same_action = same_text(&action.to_lowercase(), &filing.action.title.to_lowercase())
            && (start == filing.action.start.format("%d/%m/%Y").to_string()
                || start == filing.action.start.format("%Y-%m-%d").to_string());
        // A draft cut short before its action page (expired session, crash) shows no action yet:
        // resuming it beats leaving an orphan draft. A submitted dossier must match fully.
        let is_draft = self.reference(row).is_none();
        let unfinished_draft = is_draft && action.is_empty() && start.is_empty();
        trainee.contains(&last) && trainee.contains(&first) && (same_action || unfinished_draft)
    }

    async fn find_existing(&self, s: &mut Session<'_>, filing: &Filing) -> Flow<Option<Existing>> {
        s.set_step("find existing request");
        let rows = self.list_rows(s, filing.company.siret.as_str()).await?;
        let l = &self.facts.list;
        let found: Vec<Existing> = rows
            .iter()
            .filter(|r| self.matches(r, filing))
            .map(|r| {
                let reference = self.reference(r);
                Existing {
                    recognised: reference.as_ref().is_some_and(|(_, known)| *known),
                    dossier: reference.map(|(d, _)| d),
                    href: r.links.first().map(|a| a.href.clone()),
                    status_label: r.cell(&l.status).unwrap_or("").to_owned(),
                }
            })
            .collect();
        // A submitted request wins over drafts: never file a second one.
        Ok(found
            .iter()
            .find(|e| e.dossier.is_some())
            .or_else(|| found.first())
            .cloned())
    }

    /// The reference of a request that is no draft: the dossier number in its known format, or,
    /// when the portal shows one in another format beside a status that is not a draft, that
    /// reference as text (`false`): a request filed under a number we cannot parse is still
    /// filed, and must never be filed again.
    fn reference(&self, row: &TableRow) -> Option<(String, bool)> {
        let l = &self.facts.list;
        let cell = row.cell(&l.reference).unwrap_or("").trim();
        if let Some(m) = self.dossier_re.find(cell) {
            return Some((m.as_str().to_owned(), true));
        }
        if !cell.chars().any(char::is_alphanumeric) {
            return None;
        }
        let status = normalize_label(row.cell(&l.status).unwrap_or(""));
        let draft = self.facts.statuses.iter().any(|(label, kind)| {
            *kind == crate::status::StatusKind::Draft && normalize_label(label) == status
        });
        (!draft).then(|| (cell.to_owned(), false))
    }

    /// The portal's list as a person reads it, one line per request (best effort: this is
    /// evidence for staff, read after something already went wrong).
    async fn list_as_seen(&self, s: &mut Session<'_>, filing: &Filing) -> Vec<String> {
        match self.list_rows(s, filing.company.siret.as_str()).await {
            Ok(rows) => rows
                .iter()
                .map(|r| {
                    r.cells
                        .iter()
                        .filter(|(h, v)| !h.is_empty() && !v.is_empty())
                        .map(|(h, v)| format!("{h} : {v}"))
                        .collect::<Vec<_>>()
                        .join(" · ")
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// After the final click, whatever went wrong: filed or not, a person checks. Keeps the
    /// screenshot of the page as it was, the portal's list as last seen and any reference it
    /// shows for this request, even in a format the script does not know.
    async fn filed_unknown(&self, s: &mut Session<'_>, filing: &Filing, reason: String) -> Stop {
        s.set_step("after submit");
        let screenshot = s.snapshot("outcome unknown", Some(&reason)).await;
        let list = self.list_as_seen(s, filing).await;
        let (reference, reference_recognised) = match self.find_existing(s, filing).await {
            Ok(Some(e)) => (e.dossier, e.recognised),
            _ => (None, false),
        };
        Stop::Fail(PortalError::FiledUnknown {
            after: AfterSubmit {
                reason,
                reference,
                reference_recognised,
                list,
            },
            screenshot,
        })
    }

    /// Stops on what a read-back found: the differences (field, asked, kept) and the unknown
    /// controls holding a value; nothing more is typed or saved.
    async fn not_kept(&self, s: &Session<'_>, rb: &Readback) -> Stop {
        let screenshot = s.snapshot("values not kept", Some("values not kept")).await;
        Stop::Fail(PortalError::ValuesDiffer {
            differences: rb.all_differences(),
            screenshot,
        })
    }

    /// Stops when a page asks for a mandatory field the script does not know.
    async fn refuse_unknown_mandatory(&self, s: &Session<'_>, page: &PageFill) -> Flow<()> {
        let known: Vec<String> = page
            .fields
            .iter()
            .map(|f| normalize_label(f.label))
            .collect();
        for label in s.required_labels().await? {
            if !known.contains(&normalize_label(&label)) {
                return Err(s
                    .changed(format!(
                        "the page «{}» asks for a mandatory field the script does not know: «{label}»",
                        page.name
                    ))
                    .await);
            }
        }
        Ok(())
    }

    /// What shows once the page after `pages[i]` is there: the next page's first field, or the
    /// summary's heading.
    fn after(&self, pages: &[PageFill], i: usize) -> Locator {
        match pages.get(i + 1).and_then(|p| p.fields.first()) {
            Some(f) => Locator::label(f.label),
            None => Locator::role(Role::Heading, self.facts.ui.recap_title.as_str()),
        }
    }

    async fn next_page(&self, s: &Session<'_>, page: &PageFill, expect: Locator) -> Flow<()> {
        let ui = &self.facts.ui;
        if let Some(save) = &ui.save_step_button {
            // « Suivant » alone would drop what this page holds: save it, and see it saved.
            let saved = ui
                .step_saved_marker
                .as_deref()
                .map(|m| Locator::role(Role::Heading, m));
            s.click_step(&self.facts, Role::Button, save, saved.as_ref())
                .await?;
            self.refused(s, page).await?;
            if let Some(saved) = saved {
                s.expect(&self.facts, saved).await?;
            }
        }
        // The portal's answer is either the next page or this one with its messages.
        s.click_step(&self.facts, Role::Button, &ui.next_button, Some(&expect))
            .await?;
        self.refused(s, page).await?;
        s.expect(&self.facts, expect).await
    }

    /// Fills one field of a page; a record the portal must keep first (the account's employee)
    /// is chosen when the portal has it, else created in the portal's dialog, read back there,
    /// saved, and then chosen.
    async fn fill_field(&self, s: &Session<'_>, f: &FieldFill) -> Flow<()> {
        let facts = &self.facts;
        let Value::ChooseOrCreate(c) = &f.value else {
            return s.fill(facts, f.label, &f.value, false).await;
        };
        if s.choose_existing(facts, f.label, &c.option).await? {
            return Ok(());
        }
        let first = c.fields.first().map(|g| Locator::label(g.label));
        s.click_step(facts, Role::Button, c.button, first.as_ref())
            .await?;
        if let Some(first) = first {
            s.expect(facts, first).await?;
        }
        for g in &c.fields {
            s.fill(facts, g.label, &g.value, false).await?;
        }
        let dialog = PageFill {
            name: "creation",
            fields: c.fields.clone(),
        };
        let rb = readback::page(facts, &dialog, &s.controls().await?);
        if !rb.is_clean() {
            return Err(self.not_kept(s, &rb).await);
        }
        s.snapshot(&format!("filled the dialog of {}", c.button), None)
            .await;
        s.click_step(facts, Role::Button, c.save, None).await?;
        self.refused(s, &dialog).await?;
        // Created: the portal chooses it in the combobox, or it is chosen now; either way what
        // the combobox shows is read back.
        s.fill(facts, f.label, &Value::Choice(c.option.clone()), false)
            .await
    }

    /// Stops on the messages a page shows after a click (nothing shown: it was accepted).
    async fn refused(&self, s: &Session<'_>, page: &PageFill) -> Flow<()> {
        let alerts = s.alerts().await?;
        if let Some(first) = alerts.first() {
            let upload = page
                .fields
                .iter()
                .find(|f| matches!(f.value, Value::File(_)) && first.contains(f.label));
            if let Some(f) = upload {
                return Err(s
                    .permanent(PermanentReason::UploadRefused {
                        file: f.label.to_owned(),
                        message: first.clone(),
                    })
                    .await);
            }
            if first.contains("obligatoire") {
                return Err(s
                    .changed(format!("the portal says a field is missing: {first}"))
                    .await);
            }
            return Err(s
                .permanent(PermanentReason::ValueRefused(alerts.join(" ; ")))
                .await);
        }
        Ok(())
    }

    async fn prefill_flow(&self, s: &mut Session<'_>, filing: &Filing) -> Flow<Prefilled> {
        let facts = &self.facts;
        let pages = (self.pages)(filing, facts);
        let first_field = pages
            .first()
            .and_then(|p| p.fields.first())
            .map(|f| Locator::label(f.label));
        let existing = self.find_existing(s, filing).await?;
        let resumed = match &existing {
            Some(Existing {
                dossier: Some(d), ..
            }) => {
                return Err(Stop::Fail(PortalError::AlreadyFiled { dossier: d.clone() }));
            }
            Some(Existing {
                href: Some(href), ..
            }) => {
                s.set_step("open draft");
                s.goto(facts, href).await?;
                true
            }
            _ => match s.own_draft.clone() {
                Some(url) => {
                    s.set_step("open draft");
                    s.goto(facts, &url).await?;
                    true
                }
                None => {
                    s.set_step("new request");
                    s.click_step(
                        facts,
                        Role::Button,
                        &facts.ui.new_button,
                        first_field.as_ref(),
                    )
                    .await?;
                    if let Some(first) = &first_field {
                        s.expect(facts, first.clone()).await?;
                    }
                    false
                }
            },
        };
        let draft_url = s.current_url(facts).await?;
        s.own_draft = Some(draft_url.clone());
        // Recorded, so that a later attempt of the same job resumes this draft even when the
        // portal's list cannot tell it apart yet (stopped before the trainee's page).
        s.recorder().record(&recordings::Step {
            action: DRAFT_OPENED,
            url: Some(&draft_url),
            ..recordings::Step::default()
        })?;
        let mut final_screenshots = Vec::new();
        let mut harmless = Vec::new();
        let mut readback_time = std::time::Duration::ZERO;
        for (i, page) in pages.iter().enumerate() {
            s.set_step(format!("prefill/{}", page.name));
            let first = page.fields.first().map(|f| f.label).unwrap_or_default();
            // Waiting for the page's first field also proves we are on the expected page.
            s.read(facts, first).await?;
            self.refuse_unknown_mandatory(s, page).await?;
            for f in &page.fields {
                self.fill_field(s, f).await?;
            }
            // What the page holds now, every control of it, before it is saved.
            let t = std::time::Instant::now();
            let rb = readback::page(facts, page, &s.controls().await?);
            readback_time += t.elapsed();
            if !rb.is_clean() {
                return Err(self.not_kept(s, &rb).await);
            }
            harmless.extend(rb.harmless);
            s.snapshot(&format!("filled {}", page.name), None).await;
            final_screenshots.push(
                s.final_screenshot(&format!("{:02}-{}", i + 1, page.name))
                    .await?,
            );
            self.next_page(s, page, self.after(&pages, i)).await?;
        }
        s.set_step("summary");
        s.expect_heading(facts, &facts.ui.recap_title).await?;
        // The summary is the portal's own statement of what it saved and will file.
        let t = std::time::Instant::now();
        let rb = readback::summary(facts, &pages, &s.stated_values().await?);
        readback_time += t.elapsed();
        if !rb.is_clean() {
            return Err(self.not_kept(s, &rb).await);
        }
        harmless.extend(rb.harmless);
        let mut seen = Vec::new();
        harmless.retain(|u| {
            let label = normalize_label(&u.label);
            let first = !seen.contains(&label);
            seen.push(label);
            first
        });
        final_screenshots.push(s.final_screenshot("recapitulatif").await?);
        s.set_step("save draft");
        let list = Locator::role(Role::Heading, facts.ui.list_title.as_str());
        s.click_step(facts, Role::Button, &facts.ui.draft_button, Some(&list))
            .await?;
        s.expect_heading(facts, &facts.ui.list_title).await?;
        s.snapshot("draft saved", None).await;
        Ok(Prefilled {
            draft_url,
            resumed_draft: resumed,
            final_screenshots,
            warnings: harmless
                .into_iter()
                .map(|u| Warning::HarmlessControl {
                    label: u.label,
                    value: u.value,
                })
                .collect(),
            kept: rb.kept,
            readback_time,
        })
    }

    async fn submit_flow(&self, s: &mut Session<'_>, filing: &Filing) -> Flow<Submitted> {
        let facts = &self.facts;
        let existing = self.find_existing(s, filing).await?;
        let href = match existing {
            Some(Existing {
                dossier: Some(d), ..
            }) => return Err(Stop::Fail(PortalError::AlreadyFiled { dossier: d })),
            Some(Existing {
                href: Some(href), ..
            }) => href,
            _ => return Err(s.permanent(PermanentReason::NoDraft).await),
        };
        s.set_step("open draft");
        s.goto(facts, &href).await?;
        let pages = (self.pages)(filing, facts);
        for (i, page) in pages.iter().enumerate() {
            s.set_step(format!("verify/{}", page.name));
            let first = page.fields.first().map(|f| f.label).unwrap_or_default();
            s.read(facts, first).await?;
            self.refuse_unknown_mandatory(s, page).await?;
            let mut rb = readback::page(facts, page, &s.controls().await?);
            // A file input is empty on a saved page; the page names the file it holds.
            let text = s.deep_text().await?;
            for f in &page.fields {
                if let Value::File(p) = &f.value {
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    if !text.contains(&name) {
                        rb.differences.push(crate::error::Difference {
                            label: f.label.to_owned(),
                            expected: name,
                            found: String::new(),
                        });
                    }
                }
            }
            s.snapshot(&format!("verified {}", page.name), None).await;
            if !rb.is_clean() {
                return Err(self.not_kept(s, &rb).await);
            }
            self.next_page(s, page, self.after(&pages, i)).await?;
        }
        s.set_step("verify/summary");
        s.expect_heading(facts, &facts.ui.recap_title).await?;
        // Right before the final click: the summary is what the portal will file.
        let rb = readback::summary(facts, &pages, &s.stated_values().await?);
        if !rb.is_clean() {
            return Err(self.not_kept(s, &rb).await);
        }
        s.set_step("submit");
        s.final_screenshot("avant-depot").await?;
        s.commit_to_submit()?;
        // From this click on, the request may be filed: no outcome but a read acknowledgement
        // may say otherwise.
        if let Err(stop) = s
            .click_step(facts, Role::Button, &facts.ui.submit_button, None)
            .await
        {
            let reason = match stop {
                Stop::Expired => "the portal ended the session right after the submit".to_owned(),
                Stop::Fail(e) => e.to_string(),
            };
            return Err(self.filed_unknown(s, filing, reason).await);
        }
        let text = match s.text().await {
            Ok(t) => t,
            Err(_) => {
                return Err(self
                    .filed_unknown(s, filing, "the page after the submit cannot be read".into())
                    .await);
            }
        };
        let receipt_screenshot = s.final_screenshot("accuse-de-depot").await?;
        s.snapshot("submitted", None).await;
        if let Some(m) = self.dossier_re.find(&text) {
            return Ok(Submitted {
                dossier: m.as_str().to_owned(),
                receipt_screenshot,
            });
        }
        // No number on the acknowledgement: the portal's own list may show it in its format.
        if let Ok(Some(Existing {
            dossier: Some(dossier),
            recognised: true,
            ..
        })) = self.find_existing(s, filing).await
        {
            return Ok(Submitted {
                dossier,
                receipt_screenshot,
            });
        }
        Err(self
            .filed_unknown(
                s,
                filing,
                "no dossier number in a known format on the acknowledgement or in the list".into(),
            )
            .await)
    }

    async fn statuses_flow(&self, s: &mut Session<'_>) -> Flow<Vec<DossierStatus>> {
        s.set_step("read statuses");
        // Behind a site picker, every establishment's space holds its own requests.
        let rows = match &self.facts.site_picker {
            None => self.read_list(s).await?,
            Some(picker) => {
                let mut rows = Vec::new();
                for site in self.sites(s, picker).await? {
                    if let Some(href) = site.href {
                        s.goto(&self.facts, &href).await?;
                        rows.extend(self.read_list(s).await?);
                    }
                }
                rows
            }
        };
        s.snapshot("statuses", None).await;
        let mut out = Vec::new();
        for row in &rows {
            match (self.read_status)(row, &self.facts, &self.dossier_re) {
                Ok(Some(d)) => out.push(d),
                Ok(None) => {}
                Err(what) => return Err(s.changed(what).await),
            }
        }
        Ok(out)
    }
}

/// One establishment of a site picker.
struct Site {
    /// Its SIRET, digits only.
    siret: String,
    /// Its row as a person reads it.
    shown: String,
    /// Its row's link, opening its space.
    href: Option<String>,
}

/// Reads one row of a list with the facts' headers and wording map; drafts (no dossier number)
/// are skipped. Shared by the portals whose list shows amount and reason in their own columns.
pub(crate) fn read_row_with_facts(
    row: &TableRow,
    facts: &Facts,
    dossier_re: &Regex,
) -> Result<Option<DossierStatus>, String> {
    let l = &facts.list;
    let Some(dossier) = row
        .cell(&l.reference)
        .and_then(|c| dossier_re.find(c))
        .map(|m| m.as_str().to_owned())
    else {
        return Ok(None);
    };
    let label = row.cell(&l.status).unwrap_or("").trim().to_owned();
    let kind = facts.statuses.get(&label).copied().or_else(|| {
        let want = normalize_label(&label);
        facts
            .statuses
            .iter()
            .find(|(k, _)| normalize_label(k) == want)
            .map(|(_, v)| *v)
    });
    let Some(kind) = kind else {
        return Err(format!(
            "unknown status «{label}» for dossier {dossier}: not in the wording map of {}",
            facts.name
        ));
    };
    let amount = row
        .cell(&l.amount)
        .and_then(|a| domain::Euros::parse(a).ok());
    let comment = row
        .cell(&l.comment)
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    Ok(Some(DossierStatus {
        dossier,
        trainee: row.cell(&l.trainee).unwrap_or("").to_owned(),
        action: row.cell(&l.action).unwrap_or("").to_owned(),
        label,
        status: crate::status::PortalStatus::from_kind(kind, amount, comment),
    }))
}

/// A size in megabytes as French text: `3,5 Mo`.
fn megabytes(bytes: u64) -> String {
    let tenths = (bytes * 10 + 524_288) / 1_048_576;
    if tenths.is_multiple_of(10) {
        format!("{} Mo", tenths / 10)
    } else {
        format!("{},{} Mo", tenths / 10, tenths % 10)
    }
}

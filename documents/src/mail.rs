use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use crate::error::DocumentsError;
use crate::format::french_date;
use crate::pack::Pack;

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Implicit TLS from the first byte (usually port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, refused if the server does not offer it (587).
    StartTls,
    /// No encryption: only for a relay on the same host or in tests.
    None,
}

/// The outgoing mail server.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// Host name (checked against the TLS certificate).
    pub host: String,
    /// Port.
    pub port: u16,
    /// TLS mode.
    pub security: SmtpSecurity,
    /// Login, when the server asks for one.
    pub username: Option<String>,
    /// Password (never printed).
    pub password: Option<SecretString>,
    /// Sender, e.g. `Cap Avenir <dossiers@cap-avenir.fr>`.
    pub from: String,
    /// Limit for the whole SMTP conversation.
    pub timeout: Duration,
}

/// E-mails the DPC pack as an attachment to `to`, with a French message.
pub async fn send_pack(cfg: &SmtpConfig, to: &str, pack: &Pack) -> Result<(), DocumentsError> {
    let from: Mailbox = cfg.from.parse().map_err(|e| DocumentsError::Address {
        address: cfg.from.clone(),
        message: format!("{e}"),
    })?;
    let to_box: Mailbox = to.parse().map_err(|e| DocumentsError::Address {
        address: to.to_string(),
        message: format!("{e}"),
    })?;
    let facts = &pack.manifest.action;
    let subject = format!(
        "Demande de prise en charge — bilan de compétences de {} ({}) — réf. {}",
        facts.trainee, facts.company_name, facts.reference
    );
    let files: Vec<String> = pack
        .manifest
        .files
        .iter()
        .map(|f| format!("  - {}", f.name))
        .collect();
    let body = format!(
        "Bonjour,\n\n\
         Veuillez trouver ci-joint le dossier de demande de prise en charge du bilan de compétences \
         de {trainee}, salarié(e) de {company} (SIRET {siret}).\n\n\
         Action : {title}, {hours} heures, du {start} au {end}.\n\
         Coût pédagogique : {ht} HT ({ttc} TTC).\n\
         Subrogation de paiement : {subro}.\n\
         Référence : {reference}.\n\n\
         Le fichier {zip} contient :\n{files}\n  - manifest.json (empreintes SHA-256 des pièces)\n\n\
         Nous restons à votre disposition pour toute pièce complémentaire.\n\n\
         Cordialement,\n\
         {provider}\n\
         SIRET {psiret} · NDA {nda} · Qualiopi {qualiopi}\n",
        trainee = facts.trainee,
        company = facts.company_name,
        siret = facts.company_siret,
        title = facts.title,
        hours = facts.hours,
        start = french_date(facts.start_date),
        end = french_date(facts.end_date),
        ht = facts.price_ht,
        ttc = facts.price_ttc,
        subro = if facts.subrogation { "oui" } else { "non" },
        reference = facts.reference,
        zip = pack.file_name,
        files = files.join("\n"),
        provider = facts.provider_name,
        psiret = facts.provider_siret,
        nda = facts.provider_nda,
        qualiopi = facts.provider_qualiopi,
    );
    let zip_type = ContentType::parse("application/zip").expect("valid MIME type");
    let message = Message::builder()
        .from(from)
        .to(to_box)
        .subject(subject)
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(body))
                .singlepart(
                    Attachment::new(pack.file_name.clone()).body(pack.zip.clone(), zip_type),
                ),
        )
        .map_err(|e| DocumentsError::Email {
            message: format!("message not built: {e}"),
            retryable: false,
        })?;

    let builder = match cfg.security {
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.host),
        SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&cfg.host),
        SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            cfg.host.as_str(),
        )),
    }
    .map_err(|e| DocumentsError::Email {
        message: format!("TLS setup for {}: {e}", cfg.host),
        retryable: false,
    })?;
    let mut builder = builder.port(cfg.port).timeout(Some(cfg.timeout));
    if let (Some(user), Some(password)) = (&cfg.username, &cfg.password) {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose_secret().to_string(),
        ));
    }
    let transport = builder.build();
    let sent = tokio::time::timeout(cfg.timeout, transport.send(message)).await;
    match sent {
        Ok(Ok(response)) => {
            tracing::info!(to, file = %pack.file_name, code = %response.code(), "DPC pack e-mailed");
            Ok(())
        }
        Ok(Err(e)) => Err(classify(&e)),
        Err(_) => Err(DocumentsError::Email {
            message: format!(
                "no answer from {}:{} within {:?}",
                cfg.host, cfg.port, cfg.timeout
            ),
            retryable: true,
        }),
    }
}

/// 4xx, timeouts and lost connections may pass later; 5xx, TLS and client errors will not.
fn classify(e: &lettre::transport::smtp::Error) -> DocumentsError {
    let mut message = e.to_string();
    // lettre reports a failed TLS handshake (wrong mode, bad certificate) as a connection error;
    // rustls surfaces it as an I/O error of kind InvalidData, which no retry will fix.
    let mut tls_failure = false;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
        {
            tls_failure = true;
        }
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    let retryable = if e.is_permanent() || e.is_tls() || e.is_client() || tls_failure {
        false
    } else {
        e.is_transient() || e.is_timeout() || !e.is_response()
    };
    DocumentsError::Email { message, retryable }
}

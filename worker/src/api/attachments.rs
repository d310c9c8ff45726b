//! Attachments of a `prefill_filing` come through the API, never as paths on the server: either
//! uploaded with the job (`{"name": "devis.pdf", "content_base64": "…"}`) or taken from the files
//! of an earlier `render_documents` job (`{"from_job": "…", "file": "devis.pdf"}`). Uploads are
//! stored under `<data_dir>/attachments/<sha256>/<name>`; every file is checked as a PDF on a
//! blocking thread, so a slow disk never stalls the runtime. The job's stored input then names
//! those files, which only this service wrote.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine;
use domain::JobId;
use jobs::{FieldError, JobKind, JobState, Store};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Largest attachment, decoded.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The slots of a filing's attachments, with the file name used when an upload gives none.
const SLOTS: [(&str, &str); 3] = [
    ("quote", "devis.pdf"),
    ("programme", "programme.pdf"),
    ("agreement", "convention.pdf"),
];

/// The one message for an attachment given any other way (a path above all): it says nothing
/// about the server's disk.
pub const HOW: &str = "une pièce jointe se transmet dans la requête ({\"name\": \"devis.pdf\", \"content_base64\": \"…\"}) ou par référence au fichier d'une tâche render_documents terminée ({\"from_job\": \"…\", \"file\": \"devis.pdf\"}) ; un chemin de fichier n'est pas accepté";

/// Replaces the attachments of `input.filing` by files of this service, or says what is wrong
/// with each one. Inputs without attachments are left for the handler's own checks.
pub async fn resolve(
    store: &Store,
    data_dir: &Path,
    files_root: &Path,
    input: &mut Value,
) -> Result<(), Vec<FieldError>> {
    let Some(attachments) = input
        .pointer_mut("/filing/attachments")
        .and_then(Value::as_object_mut)
    else {
        return Ok(());
    };
    let mut problems = Vec::new();
    for (slot, default_name) in SLOTS {
        let field = format!("input.filing.attachments.{slot}");
        let Some(given) = attachments.get(slot) else {
            continue;
        };
        match resolve_one(store, data_dir, files_root, given, default_name).await {
            Ok(path) => {
                attachments.insert(slot.to_owned(), Value::String(path.display().to_string()));
            }
            Err(message) => problems.push(FieldError::new(field, message)),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

async fn resolve_one(
    store: &Store,
    data_dir: &Path,
    files_root: &Path,
    given: &Value,
    default_name: &str,
) -> Result<PathBuf, String> {
    let Some(obj) = given.as_object() else {
        return Err(HOW.to_owned());
    };
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    let upload = keys.iter().all(|k| matches!(*k, "name" | "content_base64"))
        && obj.contains_key("content_base64");
    let reference = keys.iter().all(|k| matches!(*k, "from_job" | "file"))
        && obj.contains_key("from_job")
        && obj.contains_key("file");
    if upload {
        let name = match obj.get("name") {
            None => default_name.to_owned(),
            Some(n) => n
                .as_str()
                .filter(|n| safe_name(n))
                .ok_or("« name » doit être un nom de fichier PDF simple (lettres, chiffres, « . », « - », « _ », finissant par .pdf, 100 caractères au plus)")?
                .to_owned(),
        };
        let content = obj["content_base64"]
            .as_str()
            .ok_or("« content_base64 » doit être une chaîne base64")?
            .to_owned();
        let root = data_dir.join("attachments");
        return run_blocking(move || store_upload(&root, &name, &content)).await;
    }
    if reference {
        let job = obj["from_job"]
            .as_str()
            .and_then(|s| JobId::from_str(s).ok())
            .ok_or("« from_job » doit être l'identifiant d'une tâche render_documents")?;
        let file = obj["file"]
            .as_str()
            .filter(|n| safe_name(n))
            .ok_or("« file » doit être le nom d'un PDF listé dans le résultat de la tâche")?
            .to_owned();
        let source = store.get(job).await.map_err(|_| {
            "le service de tâches ne répond pas : réessayez dans quelques secondes".to_owned()
        })?;
        let listed = source
            .filter(|j| j.kind == JobKind::RenderDocuments && j.state == JobState::Succeeded)
            .and_then(|j| j.result)
            .and_then(|r| r.get("files").cloned())
            .and_then(|f| f.as_array().cloned())
            .is_some_and(|files| files.iter().any(|f| f["name"] == file.as_str()));
        if !listed {
            return Err(format!(
                "la tâche {job} n'est pas un rendu de documents terminé qui a produit « {file} »"
            ));
        }
        let path = crate::handlers::documents::files_dir(files_root, job).join(&file);
        return run_blocking(move || {
            check_pdf_file(&path)?;
            Ok(path)
        })
        .await;
    }
    Err(HOW.to_owned())
}

async fn run_blocking(
    f: impl FnOnce() -> Result<PathBuf, String> + Send + 'static,
) -> Result<PathBuf, String> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|_| Err("la pièce n'a pas pu être enregistrée : réessayez".to_owned()))
}

fn safe_name(name: &str) -> bool {
    name.len() <= 100
        && !name.starts_with('.')
        && name.to_ascii_lowercase().ends_with(".pdf")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Decodes, checks and stores one upload (write then rename, so no reader sees half a file).
fn store_upload(root: &Path, name: &str, content: &str) -> Result<PathBuf, String> {
    // Four base64 characters carry three bytes: refuse before decoding a body too big.
    if content.len() / 4 * 3 > MAX_ATTACHMENT_BYTES + 3 {
        return Err(too_big());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content.trim())
        .map_err(|_| {
            "« content_base64 » n'est pas du base64 valide (alphabet standard, avec « = »)"
                .to_owned()
        })?;
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(too_big());
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err(
            "le fichier n'est pas un PDF (il doit commencer par « %PDF- ») : envoyez le PDF signé"
                .to_owned(),
        );
    }
    let dir = root.join(hex::encode(Sha256::digest(&bytes)));
    let path = dir.join(name);
    if path.is_file() {
        return Ok(path);
    }
    write_new(&dir, name, &bytes).map_err(|error| {
        tracing::warn!(%error, "Cannot store an uploaded attachment");
        "la pièce n'a pas pu être enregistrée sur le service : réessayez plus tard".to_owned()
    })?;
    Ok(path)
}

fn write_new(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.{}.part", uuid::Uuid::new_v4().simple()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, dir.join(name))
}

fn too_big() -> String {
    format!(
        "la pièce dépasse {} Mo : réduisez le PDF",
        MAX_ATTACHMENT_BYTES / (1024 * 1024)
    )
}

fn check_pdf_file(path: &Path) -> Result<(), String> {
    use std::io::Read;
    let mut head = [0u8; 5];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map_err(|_| {
            "le fichier de cette tâche n'est plus disponible : relancez le rendu".to_owned()
        })?;
    if &head == b"%PDF-" {
        Ok(())
    } else {
        Err("ce fichier n'est pas un PDF : choisissez un des PDF de la tâche".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_is_stored_under_its_hash_with_its_name_and_a_non_pdf_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let pdf = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 test");
        let path = store_upload(dir.path(), "devis.pdf", &pdf).unwrap();
        assert!(path.starts_with(dir.path()));
        assert_eq!(path.file_name().unwrap(), "devis.pdf");
        assert_eq!(std::fs::read(&path).unwrap(), b"%PDF-1.4 test");
        let text = base64::engine::general_purpose::STANDARD.encode(b"root:x:0:0");
        assert!(
            store_upload(dir.path(), "devis.pdf", &text)
                .unwrap_err()
                .contains("PDF")
        );
        assert!(
            store_upload(dir.path(), "devis.pdf", "***")
                .unwrap_err()
                .contains("base64")
        );
    }

    #[test]
    fn names_with_a_path_or_another_extension_are_not_safe() {
        assert!(!safe_name("devis-signé.pdf"));
        assert!(safe_name("convention_2027.PDF"));
        assert!(!safe_name("../etc/passwd.pdf"));
        assert!(!safe_name(".hidden.pdf"));
        assert!(!safe_name("devis.exe"));
    }
}

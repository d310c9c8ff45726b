//! The vault: client companies' logins on their OPCO portals, encrypted at rest in the store's
//! `portal_credentials` table.
//!
//! Each row is AES-256-GCM under a master key named by its `key_id` (the first 16 hex digits of
//! the key's SHA-256), with a random 96-bit nonce per write and `"<opco>/<account>"` as associated
//! data, so a row copied onto another account does not decrypt. The store only ever sees
//! ciphertext; a login is decrypted in the job that uses it. Rotation: a new current key, the old
//! one among `previous_key_files`, then [`Vault::rotate`] moves every row to the new key.

use std::path::Path;
use std::sync::Arc;

/// The vault's table, in the fleet's one ordered set of migrations.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, TimeZone, Utc};
use domain::OpcoId;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{AnyPool, Row};

use crate::settings::Settings;

/// Length of a master key, in bytes.
const KEY_LEN: usize = 32;
/// Length of an AES-GCM nonce, in bytes.
const NONCE_LEN: usize = 12;

/// What can go wrong with the vault or its keys.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The row's key is not among the configured ones.
    #[error(
        "the credentials of {opco}/{account} are encrypted under master key {key_id}, which is not configured: set credentials.key_file (or MONOPCO_MASTER_KEY) to that key, or add its file to credentials.previous_key_files"
    )]
    UnknownKey {
        /// OPCO slug.
        opco: String,
        /// Account id.
        account: String,
        /// The key id the row names.
        key_id: String,
    },
    /// Authentication failed: the row was altered, or moved from another account.
    #[error(
        "the credentials of {opco}/{account} do not decrypt under master key {key_id}: the row was altered or copied from another account; register them again"
    )]
    Tampered {
        /// OPCO slug.
        opco: String,
        /// Account id.
        account: String,
        /// The key id the row names.
        key_id: String,
    },
    /// A row that is not what this module writes.
    #[error("the credential row {opco}/{account} is malformed: {reason}")]
    Malformed {
        /// OPCO slug.
        opco: String,
        /// Account id.
        account: String,
        /// What is wrong.
        reason: String,
    },
    /// A master key that cannot be used.
    #[error("cannot use the master key from {origin}: {reason}")]
    Key {
        /// Where it came from (a setting, a variable, a file).
        origin: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The store did not answer.
    #[error("the credential store is unavailable: {0}")]
    Store(#[from] sqlx::Error),
}

impl VaultError {
    /// Whether trying again later may work (the store was down) rather than needing an operator.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Store(_))
    }
}

/// One AES-256-GCM master key and its id.
pub struct MasterKey {
    id: String,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl MasterKey {
    /// From the base64 text of 32 bytes; `origin` names where it came from, for errors.
    pub fn from_base64(text: &str, origin: &str) -> Result<Self, VaultError> {
        let invalid = |reason: String| VaultError::Key {
            origin: origin.to_owned(),
            reason,
        };
        let bytes = Zeroizing::new(BASE64.decode(text.trim()).map_err(|_| {
            invalid(format!(
                "it is not base64; it must be 32 random bytes in base64 (openssl rand -base64 {KEY_LEN})"
            ))
        })?);
        if bytes.len() != KEY_LEN {
            return Err(invalid(format!(
                "it is {} bytes once decoded from base64; it must be {KEY_LEN} (openssl rand -base64 {KEY_LEN})",
                bytes.len()
            )));
        }
        let cipher = Aes256Gcm::new_from_slice(&bytes)
            .map_err(|_| invalid(format!("an AES-256 key is {KEY_LEN} bytes")))?;
        let digest = Sha256::digest(&*bytes);
        Ok(Self {
            id: hex::encode(digest)[..16].to_owned(),
            cipher,
        })
    }

    /// From a file holding the base64 key.
    pub fn from_file(path: &Path, setting: &str) -> Result<Self, VaultError> {
        let origin = format!("{setting} ({})", path.display());
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| VaultError::Key {
            origin: origin.clone(),
            reason: format!("cannot read the file: {e}"),
        })?);
        Self::from_base64(&text, &origin)
    }

    /// The first 16 hex digits of the key's SHA-256: names the key without revealing it.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn seal(
        &self,
        opco: OpcoId,
        account: &str,
        username: &str,
        password: &SecretString,
    ) -> (String, String) {
        let plaintext = Zeroizing::new(
            serde_json::to_vec(&PlainOut {
                username,
                password: password.expose_secret(),
            })
            .unwrap_or_default(),
        );
        let nonce = Nonce::generate();
        let aad = associated_data(opco, account);
        // Encryption fails only past GCM's length limits (64 GiB), far beyond a login.
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .unwrap_or_default();
        (BASE64.encode(nonce), BASE64.encode(ciphertext))
    }

    fn open(&self, row: &Sealed) -> Result<StoredAccount, VaultError> {
        let malformed = |reason: &str| VaultError::Malformed {
            opco: row.opco.slug().to_owned(),
            account: row.account.clone(),
            reason: reason.to_owned(),
        };
        let nonce = BASE64
            .decode(&row.nonce)
            .ok()
            .filter(|n| n.len() == NONCE_LEN)
            .ok_or_else(|| malformed("the nonce is not 12 bytes of base64"))?;
        let ciphertext = BASE64
            .decode(&row.ciphertext)
            .map_err(|_| malformed("the ciphertext is not base64"))?;
        let nonce = Nonce::try_from(nonce.as_slice())
            .map_err(|_| malformed("the nonce is not 12 bytes"))?;
        let aad = associated_data(row.opco, &row.account);
        let plaintext = Zeroizing::new(
            self.cipher
                .decrypt(
                    &nonce,
                    Payload {
                        msg: &ciphertext,
                        aad: aad.as_bytes(),
                    },
                )
                .map_err(|_| VaultError::Tampered {
                    opco: row.opco.slug().to_owned(),
                    account: row.account.clone(),
                    key_id: row.key_id.clone(),
                })?,
        );
        let plain: PlainIn = serde_json::from_slice(&plaintext)
            .map_err(|_| malformed("the decrypted content is not a login"))?;
        Ok(StoredAccount {
            username: plain.username,
            password: plain.password,
        })
    }
}

/// The current key, which encrypts every write, and earlier ones that still decrypt.
#[derive(Debug)]
pub struct KeyRing {
    current: MasterKey,
    previous: Vec<MasterKey>,
}

impl KeyRing {
    /// A ring from its keys.
    pub fn new(current: MasterKey, previous: Vec<MasterKey>) -> Self {
        let previous = previous
            .into_iter()
            .filter(|k| k.id != current.id)
            .collect();
        Self { current, previous }
    }

    /// From configuration: `MONOPCO_MASTER_KEY`, else `credentials.key_file`, else the embedded
    /// default's `<data_dir>/master.key` (generated on first start); plus the previous keys.
    pub fn from_settings(settings: &Settings) -> Result<Self, VaultError> {
        let c = &settings.credentials;
        let current = match (&c.master_key, &c.key_file) {
            (Some(key), _) => MasterKey::from_base64(key.expose_secret(), "MONOPCO_MASTER_KEY")?,
            (None, Some(path)) => MasterKey::from_file(path, "credentials.key_file")?,
            (None, None) => embedded_default_key(&settings.data_dir)?,
        };
        let previous = c
            .previous_key_files
            .iter()
            .map(|p| MasterKey::from_file(p, "credentials.previous_key_files"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(current, previous))
    }

    /// The id of the key new rows are encrypted under.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    fn find(&self, id: &str) -> Option<&MasterKey> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
    }
}

/// The embedded default's key: `<data_dir>/master.key`, created (mode 0600) if missing.
fn embedded_default_key(data_dir: &Path) -> Result<MasterKey, VaultError> {
    let path = data_dir.join("master.key");
    let origin = format!("the generated key file {}", path.display());
    let io_error = |what: &str, e: std::io::Error| VaultError::Key {
        origin: origin.clone(),
        reason: format!("{what}: {e}"),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => return MasterKey::from_base64(&Zeroizing::new(text), &origin),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error("cannot read it", e)),
    }
    std::fs::create_dir_all(data_dir).map_err(|e| io_error("cannot create its directory", e))?;
    let key = Zeroizing::new(BASE64.encode(<[u8; KEY_LEN]>::generate()));
    // Written whole under another name, then linked into place: a process starting at the same
    // moment either links first or reads the complete file of the one that did.
    let tmp = data_dir.join(format!(".master.key.{}", uuid::Uuid::new_v4().simple()));
    let written = write_private(&tmp, key.as_bytes());
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, &path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::warn!(
                path = %path.display(),
                "Generated the master key of the credential vault beside the data it protects; in production keep it elsewhere (credentials.key_file or MONOPCO_MASTER_KEY) and back it up"
            );
            MasterKey::from_base64(&key, &origin)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = Zeroizing::new(
                std::fs::read_to_string(&path).map_err(|e| io_error("cannot read it", e))?,
            );
            MasterKey::from_base64(&text, &origin)
        }
        Err(e) => Err(io_error("cannot write it", e)),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn associated_data(opco: OpcoId, account: &str) -> String {
    format!("{}/{account}", opco.slug())
}

#[derive(Serialize)]
struct PlainOut<'a> {
    username: &'a str,
    password: &'a str,
}

#[derive(Deserialize)]
struct PlainIn {
    username: String,
    password: SecretString,
}

/// A row as stored.
struct Sealed {
    opco: OpcoId,
    account: String,
    key_id: String,
    nonce: String,
    ciphertext: String,
}

/// A client company's login, decrypted.
#[derive(Debug)]
pub struct StoredAccount {
    /// Login.
    pub username: String,
    /// Password (never printed).
    pub password: SecretString,
}

/// A registered account, without its login.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AccountSummary {
    /// The OPCO.
    #[schema(value_type = String, example = "atlas")]
    pub opco: OpcoId,
    /// The company's account id at the OPCO (a filing's `company.opco_account`).
    #[schema(example = "ADH-448812")]
    pub account: String,
    /// The master key it is encrypted under (rotation moves every row to the current one).
    pub key_id: String,
    /// When the login was last registered.
    pub updated_at: DateTime<Utc>,
}

/// The encrypted store of client portal logins.
#[derive(Clone)]
pub struct Vault {
    pool: AnyPool,
    keys: Arc<KeyRing>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

fn sealed_from_row(row: &sqlx::any::AnyRow) -> Result<Sealed, VaultError> {
    let opco: String = row.try_get("opco")?;
    let account: String = row.try_get("account")?;
    let opco = OpcoId::from_slug(&opco).map_err(|_| VaultError::Malformed {
        opco: opco.clone(),
        account: account.clone(),
        reason: "unknown OPCO".to_owned(),
    })?;
    Ok(Sealed {
        opco,
        account,
        key_id: row.try_get("key_id")?,
        nonce: row.try_get("nonce")?,
        ciphertext: row.try_get("ciphertext")?,
    })
}

impl Vault {
    /// Over the store's database (its migrations create the table).
    pub fn new(store: &jobs::Store, keys: KeyRing) -> Self {
        Self {
            pool: store.pool().clone(),
            keys: Arc::new(keys),
        }
    }

    /// The id of the key new rows are encrypted under.
    pub fn current_key_id(&self) -> &str {
        self.keys.current_id()
    }

    /// Registers or replaces an account's login, encrypted under the current key.
    pub async fn put(
        &self,
        opco: OpcoId,
        account: &str,
        username: &str,
        password: &SecretString,
    ) -> Result<(), VaultError> {
        let (nonce, ciphertext) = self.keys.current.seal(opco, account, username, password);
        sqlx::query(
            "INSERT INTO portal_credentials (opco, account, key_id, nonce, ciphertext, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (opco, account) DO UPDATE SET key_id = excluded.key_id, nonce = excluded.nonce, \
             ciphertext = excluded.ciphertext, updated_at = excluded.updated_at",
        )
        .bind(opco.slug())
        .bind(account.to_owned())
        .bind(self.keys.current.id.clone())
        .bind(nonce)
        .bind(ciphertext)
        .bind(jobs::now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// An account's login, decrypted; `None` when none is registered.
    pub async fn get(
        &self,
        opco: OpcoId,
        account: &str,
    ) -> Result<Option<StoredAccount>, VaultError> {
        let row = sqlx::query(
            "SELECT opco, account, key_id, nonce, ciphertext FROM portal_credentials \
             WHERE opco = $1 AND account = $2",
        )
        .bind(opco.slug())
        .bind(account.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let sealed = sealed_from_row(&row)?;
        self.open(&sealed).map(Some)
    }

    fn open(&self, sealed: &Sealed) -> Result<StoredAccount, VaultError> {
        let key = self
            .keys
            .find(&sealed.key_id)
            .ok_or_else(|| VaultError::UnknownKey {
                opco: sealed.opco.slug().to_owned(),
                account: sealed.account.clone(),
                key_id: sealed.key_id.clone(),
            })?;
        key.open(sealed)
    }

    /// Every registered account, without logins, by OPCO then account.
    pub async fn list(&self) -> Result<Vec<AccountSummary>, VaultError> {
        let rows = sqlx::query(
            "SELECT opco, account, key_id, updated_at FROM portal_credentials ORDER BY opco, account",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let opco: String = row.try_get("opco")?;
                let account: String = row.try_get("account")?;
                let updated_at: i64 = row.try_get("updated_at")?;
                Ok(AccountSummary {
                    opco: OpcoId::from_slug(&opco).map_err(|_| VaultError::Malformed {
                        opco,
                        account: account.clone(),
                        reason: "unknown OPCO".to_owned(),
                    })?,
                    account,
                    key_id: row.try_get("key_id")?,
                    updated_at: Utc
                        .timestamp_millis_opt(updated_at)
                        .single()
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Forgets an account's login; `false` when none was registered.
    pub async fn delete(&self, opco: OpcoId, account: &str) -> Result<bool, VaultError> {
        let done = sqlx::query("DELETE FROM portal_credentials WHERE opco = $1 AND account = $2")
            .bind(opco.slug())
            .bind(account.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Re-encrypts every row not under the current key with the current key; returns how many.
    /// Stops at the first row no configured key opens (its error names the key id).
    pub async fn rotate(&self) -> Result<usize, VaultError> {
        let current = &self.keys.current;
        let rows = sqlx::query(
            "SELECT opco, account, key_id, nonce, ciphertext FROM portal_credentials \
             WHERE key_id <> $1 ORDER BY opco, account",
        )
        .bind(current.id.clone())
        .fetch_all(&self.pool)
        .await?;
        let mut moved = 0;
        for row in &rows {
            let sealed = sealed_from_row(row)?;
            let login = self.open(&sealed)?;
            let (nonce, ciphertext) = current.seal(
                sealed.opco,
                &sealed.account,
                &login.username,
                &login.password,
            );
            // Only if the row is still the one read: a login registered meanwhile is already
            // under the current key and must not be overwritten with the old one.
            let done = sqlx::query(
                "UPDATE portal_credentials SET key_id = $1, nonce = $2, ciphertext = $3 \
                 WHERE opco = $4 AND account = $5 AND key_id = $6 AND nonce = $7",
            )
            .bind(current.id.clone())
            .bind(nonce)
            .bind(ciphertext)
            .bind(sealed.opco.slug())
            .bind(sealed.account.clone())
            .bind(sealed.key_id.clone())
            .bind(sealed.nonce.clone())
            .execute(&self.pool)
            .await?;
            if done.rows_affected() == 1 {
                moved += 1;
                tracing::info!(
                    portal = sealed.opco.slug(),
                    account = %sealed.account,
                    from_key = %sealed.key_id,
                    to_key = %current.id,
                    "Credentials re-encrypted under the current master key"
                );
            }
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> MasterKey {
        MasterKey::from_base64(&BASE64.encode([byte; KEY_LEN]), "test").unwrap()
    }

    async fn store(dir: &Path) -> jobs::Store {
        let url = format!("sqlite://{}", dir.join("state.db").display());
        crate::app::connect_store(&url, Vec::new()).await.unwrap()
    }

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    async fn raw_row(store: &jobs::Store, account: &str) -> (String, String) {
        let row = sqlx::query(
            "SELECT key_id, ciphertext FROM portal_credentials WHERE opco = 'atlas' AND account = $1",
        )
        .bind(account.to_owned())
        .fetch_one(store.pool())
        .await
        .unwrap();
        (row.get("key_id"), row.get("ciphertext"))
    }

    #[tokio::test]
    async fn a_login_comes_back_as_it_was_put_and_is_stored_only_encrypted() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path()).await;
        let vault = Vault::new(&store, KeyRing::new(key(1), vec![]));
        vault
            .put(OpcoId::Atlas, "ADH-1", "rh@client.fr", &secret("s3cret-pw"))
            .await
            .unwrap();
        let got = vault.get(OpcoId::Atlas, "ADH-1").await.unwrap().unwrap();
        assert_eq!(got.username, "rh@client.fr");
        assert_eq!(got.password.expose_secret(), "s3cret-pw");
        assert!(vault.get(OpcoId::Atlas, "ADH-2").await.unwrap().is_none());
        assert!(vault.get(OpcoId::Akto, "ADH-1").await.unwrap().is_none());

        let (key_id, ciphertext) = raw_row(&store, "ADH-1").await;
        assert_eq!(key_id, key(1).id());
        assert!(!ciphertext.contains("s3cret") && !ciphertext.contains("rh@client"));
        // The same login written twice never gives the same ciphertext (a fresh nonce each time).
        vault
            .put(OpcoId::Atlas, "ADH-1", "rh@client.fr", &secret("s3cret-pw"))
            .await
            .unwrap();
        assert_ne!(raw_row(&store, "ADH-1").await.1, ciphertext);

        let list = vault.list().await.unwrap();
        assert_eq!(list.len(), 1);
        let json = serde_json::to_string(&list).unwrap();
        assert!(
            !json.contains("s3cret") && !json.contains("rh@client"),
            "{json}"
        );
        assert!(format!("{got:?} {vault:?}").find("s3cret").is_none());

        assert!(vault.delete(OpcoId::Atlas, "ADH-1").await.unwrap());
        assert!(!vault.delete(OpcoId::Atlas, "ADH-1").await.unwrap());
        assert!(vault.get(OpcoId::Atlas, "ADH-1").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_row_moved_onto_another_account_does_not_decrypt() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path()).await;
        let vault = Vault::new(&store, KeyRing::new(key(1), vec![]));
        vault
            .put(OpcoId::Atlas, "ADH-1", "a@client.fr", &secret("pw-of-a"))
            .await
            .unwrap();
        sqlx::query("UPDATE portal_credentials SET account = 'ADH-2' WHERE account = 'ADH-1'")
            .execute(store.pool())
            .await
            .unwrap();
        let err = vault.get(OpcoId::Atlas, "ADH-2").await.unwrap_err();
        assert!(matches!(err, VaultError::Tampered { .. }), "{err}");
        assert!(err.to_string().contains("atlas/ADH-2"), "{err}");
        assert!(!err.is_retryable());
    }

    #[tokio::test]
    async fn rotation_re_encrypts_old_key_rows_under_the_current_key_and_they_still_decrypt() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path()).await;
        let old = Vault::new(&store, KeyRing::new(key(1), vec![]));
        for (account, pw) in [("ADH-1", "pw-1"), ("ADH-2", "pw-2")] {
            old.put(OpcoId::Atlas, account, "u@client.fr", &secret(pw))
                .await
                .unwrap();
        }
        let new = Vault::new(&store, KeyRing::new(key(2), vec![key(1)]));
        // Before rotation the old rows are read with the previous key; a new write uses the new.
        assert_eq!(
            new.get(OpcoId::Atlas, "ADH-1")
                .await
                .unwrap()
                .unwrap()
                .password
                .expose_secret(),
            "pw-1"
        );
        new.put(OpcoId::Akto, "AK-9", "u@client.fr", &secret("pw-9"))
            .await
            .unwrap();

        assert_eq!(new.rotate().await.unwrap(), 2);
        assert_eq!(
            new.rotate().await.unwrap(),
            0,
            "a second run has nothing to do"
        );
        let only_new = Vault::new(&store, KeyRing::new(key(2), vec![]));
        for summary in only_new.list().await.unwrap() {
            assert_eq!(summary.key_id, key(2).id());
        }
        for (opco, account, pw) in [
            (OpcoId::Atlas, "ADH-1", "pw-1"),
            (OpcoId::Atlas, "ADH-2", "pw-2"),
            (OpcoId::Akto, "AK-9", "pw-9"),
        ] {
            let got = only_new.get(opco, account).await.unwrap().unwrap();
            assert_eq!(got.password.expose_secret(), pw);
        }
    }

    #[tokio::test]
    async fn a_row_under_a_key_that_is_not_configured_names_the_key_id_and_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path()).await;
        Vault::new(&store, KeyRing::new(key(1), vec![]))
            .put(OpcoId::Atlas, "ADH-1", "u@client.fr", &secret("pw"))
            .await
            .unwrap();
        let vault = Vault::new(&store, KeyRing::new(key(2), vec![]));
        let err = vault.get(OpcoId::Atlas, "ADH-1").await.unwrap_err();
        assert!(matches!(err, VaultError::UnknownKey { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains(key(1).id()), "{text}");
        assert!(text.contains("credentials.previous_key_files"), "{text}");
        // Rotation cannot move what it cannot read, and says why.
        let err = vault.rotate().await.unwrap_err().to_string();
        assert!(err.contains(key(1).id()), "{err}");
    }

    #[test]
    fn a_key_that_is_not_32_bytes_of_base64_is_refused_with_how_to_make_one() {
        let err = MasterKey::from_base64(&BASE64.encode([7u8; 16]), "MONOPCO_MASTER_KEY")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("MONOPCO_MASTER_KEY") && err.contains("16 bytes"),
            "{err}"
        );
        assert!(err.contains("openssl rand -base64 32"), "{err}");
        let err = MasterKey::from_base64("not base64!", "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not base64"), "{err}");
        // The id is 16 hex digits of the key's SHA-256, the same for the same key.
        assert_eq!(key(1).id().len(), 16);
        assert_eq!(key(1).id(), key(1).id());
        assert_ne!(key(1).id(), key(2).id());
    }

    #[test]
    fn the_embedded_default_generates_a_private_key_once_and_reuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = embedded_default_key(&data).unwrap();
        let second = embedded_default_key(&data).unwrap();
        assert_eq!(first.id(), second.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data.join("master.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let names: Vec<_> = std::fs::read_dir(&data).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
    }
}

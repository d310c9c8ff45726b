//! The cache of answers and the fleet-wide pace, both in the store, so that every worker process
//! shares them: an answer younger than `max_age` is reused, one process at a time fetches a
//! SIRET (the others wait for its answer), and every call takes a slot of one pace.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use domain::Siret;
use sqlx::{AnyPool, Row};

use crate::answer::{Company, build_answer};
use crate::api::SearchAnswer;
use crate::client::Client;
use crate::error::LookupError;
use crate::routing::Tables;

const PACE_NAME: &str = "recherche_entreprises";

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A limit of calls per second shared by every process using the same store: each call reserves
/// the next free slot with one atomic `UPDATE … RETURNING`, slots `1 s / max_per_second` apart,
/// and waits for its slot. The processes' clocks are taken to agree (NTP).
#[derive(Clone, Debug)]
pub struct Pace {
    pool: AnyPool,
    spacing: Duration,
}

impl Pace {
    /// At most `max_per_second` calls per second over the whole fleet.
    pub fn new(pool: AnyPool, max_per_second: u32) -> Self {
        let per_second = u64::from(max_per_second.max(1));
        Self {
            pool,
            // Rounded up to the millisecond the store counts in, so that a second never holds
            // more than `max_per_second` slots.
            spacing: Duration::from_millis(1000_u64.div_ceil(per_second)),
        }
    }

    /// The time between two slots.
    pub fn spacing(&self) -> Duration {
        self.spacing
    }

    /// Waits for this process's next slot.
    pub async fn acquire(&self) -> Result<(), LookupError> {
        let spacing = ms(self.spacing).max(1);
        let now = now_ms();
        let row = sqlx::query(
            "UPDATE api_pace SET next_slot_at = \
             (CASE WHEN next_slot_at > $1 THEN next_slot_at ELSE $1 END) + $2 \
             WHERE name = $3 RETURNING next_slot_at",
        )
        .bind(now)
        .bind(spacing)
        .bind(PACE_NAME)
        .fetch_one(&self.pool)
        .await?;
        let next: i64 = row.try_get(0)?;
        let slot = next - spacing;
        let wait = slot - now_ms();
        if wait > 0 {
            tokio::time::sleep(Duration::from_millis(wait.unsigned_abs())).await;
        }
        Ok(())
    }
}

/// How answers are cached and shared.
#[derive(Clone, Debug)]
pub struct LookupConfig {
    /// An answer younger than this is reused without a call.
    pub max_age: Duration,
    /// How long a process may hold a SIRET's fetch before another takes it over (it died).
    pub fetch_lease: Duration,
    /// How often a process waiting for another's fetch looks again.
    pub wait_poll: Duration,
}

impl Default for LookupConfig {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(24 * 3600),
            fetch_lease: Duration::from_secs(120),
            wait_poll: Duration::from_millis(100),
        }
    }
}

/// From a SIRET to the company: cache, shared pace, client and routing together.
#[derive(Clone, Debug)]
pub struct CompanyLookup {
    client: Client,
    pace: Pace,
    pool: AnyPool,
    tables: Tables,
    config: LookupConfig,
    owner: String,
}

impl CompanyLookup {
    /// A lookup over the store's pool (its migrations create the tables).
    pub fn new(
        client: Client,
        pace: Pace,
        pool: AnyPool,
        tables: Tables,
        config: LookupConfig,
    ) -> Self {
        Self {
            client,
            pace,
            pool,
            tables,
            config,
            owner: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Parses the SIRET, then resolves it.
    pub async fn resolve_str(&self, input: &str) -> Result<Company, LookupError> {
        let siret = Siret::parse(input).map_err(|source| LookupError::InvalidSiret {
            input: input.chars().take(40).collect(),
            source,
        })?;
        self.resolve(&siret).await
    }

    /// The company of a SIRET, from the cache when its answer is fresh, else from the API.
    pub async fn resolve(&self, siret: &Siret) -> Result<Company, LookupError> {
        let max_age = ms(self.config.max_age);
        loop {
            let now = now_ms();
            let row = sqlx::query(
                "SELECT body, fetched_at, fetch_until FROM company_lookups WHERE siret = $1",
            )
            .bind(siret.as_str())
            .fetch_optional(&self.pool)
            .await?;
            if let Some(row) = &row {
                let body: Option<String> = row.try_get(0)?;
                let fetched_at: Option<i64> = row.try_get(1)?;
                if let (Some(body), Some(at)) = (body, fetched_at)
                    && now - at < max_age
                {
                    let answer: SearchAnswer =
                        serde_json::from_str(&body).map_err(|e| LookupError::Malformed {
                            detail: format!("réponse en cache illisible : {e}"),
                        })?;
                    let at = Utc.timestamp_millis_opt(at).single().unwrap_or_default();
                    return build_answer(siret, &answer, &self.tables, at, true);
                }
            }
            // Take the fetch unless another process holds it, or the answer became fresh.
            let claimed = sqlx::query(
                "INSERT INTO company_lookups (siret, body, fetched_at, fetch_owner, fetch_until) \
                 VALUES ($1, NULL, NULL, $2, $3) \
                 ON CONFLICT (siret) DO UPDATE SET fetch_owner = excluded.fetch_owner, \
                 fetch_until = excluded.fetch_until \
                 WHERE (company_lookups.fetch_until IS NULL OR company_lookups.fetch_until < $4) \
                 AND (company_lookups.fetched_at IS NULL OR company_lookups.fetched_at < $5) \
                 RETURNING siret",
            )
            .bind(siret.as_str())
            .bind(self.owner.clone())
            .bind(now + ms(self.config.fetch_lease))
            .bind(now)
            .bind(now - max_age)
            .fetch_optional(&self.pool)
            .await?;
            if claimed.is_none() {
                tokio::time::sleep(self.config.wait_poll).await;
                continue;
            }
            // A caller that stops waiting (a timeout around the provider check) drops this
            // future mid-fetch: the claim is then released, or every other lookup of the SIRET
            // would wait for the whole fetch lease.
            let mut claim = ClaimGuard {
                pool: self.pool.clone(),
                siret: siret.as_str().to_owned(),
                owner: self.owner.clone(),
                armed: true,
            };
            let fetched = self.client.search(siret, &self.pace).await;
            return match fetched {
                Ok((answer, body)) => {
                    let at = now_ms();
                    sqlx::query(
                        "UPDATE company_lookups SET body = $1, fetched_at = $2, fetch_owner = NULL, \
                         fetch_until = NULL WHERE siret = $3 AND fetch_owner = $4",
                    )
                    .bind(body)
                    .bind(at)
                    .bind(siret.as_str())
                    .bind(self.owner.clone())
                    .execute(&self.pool)
                    .await?;
                    claim.armed = false;
                    let at = Utc.timestamp_millis_opt(at).single().unwrap_or_default();
                    build_answer(siret, &answer, &self.tables, at, false)
                }
                Err(error) => {
                    // Let a waiting process try at once rather than after the lease.
                    sqlx::query(
                        "UPDATE company_lookups SET fetch_owner = NULL, fetch_until = NULL \
                         WHERE siret = $1 AND fetch_owner = $2",
                    )
                    .bind(siret.as_str())
                    .bind(self.owner.clone())
                    .execute(&self.pool)
                    .await?;
                    claim.armed = false;
                    Err(error)
                }
            };
        }
    }
}

/// Releases a SIRET's fetch claim if the lookup holding it is dropped before it ends.
struct ClaimGuard {
    pool: AnyPool,
    siret: String,
    owner: String,
    armed: bool,
}

impl Drop for ClaimGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (pool, siret, owner) = (
            self.pool.clone(),
            std::mem::take(&mut self.siret),
            std::mem::take(&mut self.owner),
        );
        runtime.spawn(async move {
            let released = sqlx::query(
                "UPDATE company_lookups SET fetch_owner = NULL, fetch_until = NULL \
                 WHERE siret = $1 AND fetch_owner = $2",
            )
            .bind(siret)
            .bind(owner)
            .execute(&pool)
            .await;
            if let Err(error) = released {
                tracing::debug!(%error, "Cannot release an abandoned company fetch; its lease will expire");
            }
        });
    }
}

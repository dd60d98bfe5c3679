//! Shards: a deterministic split of a zone list by a stable hash of each name's registered
//! domain, so that every name is in exactly one shard whatever the input order and names of
//! one registered domain stay together; and the shard a scheduler's array task is.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Shard `index` of `count`, 1-based: `--shard 2/4` is the second of four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShardError {
    #[error("bad shard `{0}`: write K/N with 1 <= K <= N (e.g. 2/4), or `auto`")]
    Syntax(String),
    #[error(
        "--shard auto found no array task: set SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm array job), or JOB_COMPLETION_INDEX and MAILCENSUS_SHARD_COUNT (a Kubernetes Indexed Job)"
    )]
    NoTask,
    #[error("--shard auto: {0}")]
    BadTask(String),
}

/// FNV-1a, 64 bits: fixed by its definition, so shards stay the same across versions and
/// machines (std's hasher makes no such promise).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Shard {
    /// The shard (1-based) that a registered domain belongs to among `count`.
    pub fn index_of(registered_domain: &str, count: u32) -> u32 {
        (fnv1a(registered_domain.as_bytes()) % u64::from(count)) as u32 + 1
    }

    pub fn holds(&self, registered_domain: &str) -> bool {
        Shard::index_of(registered_domain, self.count) == self.index
    }

    fn new(index: u32, count: u32) -> Option<Shard> {
        (count >= 1 && (1..=count).contains(&index)).then_some(Shard { index, count })
    }

    /// The array task this process is, from a scheduler's environment (`var` reads one
    /// variable): Slurm's `SLURM_ARRAY_TASK_ID` counted from `SLURM_ARRAY_TASK_MIN` among
    /// `SLURM_ARRAY_TASK_COUNT`, or a Kubernetes Indexed Job's 0-based `JOB_COMPLETION_INDEX`
    /// among `MAILCENSUS_SHARD_COUNT` (a Job does not tell its pods its completions).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Shard, ShardError> {
        let num = |name: &str| -> Result<Option<u32>, ShardError> {
            var(name)
                .map(|v| {
                    v.trim()
                        .parse::<u32>()
                        .map_err(|_| ShardError::BadTask(format!("{name}={v} is not a number")))
                })
                .transpose()
        };
        let (index0, count) = match (num("SLURM_ARRAY_TASK_ID")?, num("JOB_COMPLETION_INDEX")?) {
            (Some(id), _) => {
                let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
                let count = num("SLURM_ARRAY_TASK_COUNT")?.ok_or(ShardError::NoTask)?;
                let step = num("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1);
                if step != 1 {
                    return Err(ShardError::BadTask(format!(
                        "the array has step {step}: submit a contiguous one, e.g. --array=0-{}",
                        count.saturating_sub(1)
                    )));
                }
                (id.checked_sub(min), count)
            }
            (None, Some(index)) => {
                let count = num("MAILCENSUS_SHARD_COUNT")?.ok_or_else(|| {
                    ShardError::BadTask(
                        "JOB_COMPLETION_INDEX is set but MAILCENSUS_SHARD_COUNT is not: set it to the Job's completions".to_string(),
                    )
                })?;
                (Some(index), count)
            }
            (None, None) => return Err(ShardError::NoTask),
        };
        index0
            .and_then(|i| Shard::new(i + 1, count))
            .ok_or_else(|| {
                ShardError::BadTask(format!(
                    "task index {index0:?} is not within {count} tasks (an array with gaps?)"
                ))
            })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError::Syntax(s.to_string());
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        Shard::new(k, n).ok_or_else(bad)
    }
}

/// What `--shard` says: a shard, or `auto` (the scheduler's array task).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardSpec {
    Fixed(Shard),
    Auto,
}

impl FromStr for ShardSpec {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<ShardSpec, ShardError> {
        match s {
            "auto" => Ok(ShardSpec::Auto),
            _ => s.parse().map(ShardSpec::Fixed),
        }
    }
}

impl ShardSpec {
    pub fn resolve(self) -> Result<Shard, ShardError> {
        match self {
            ShardSpec::Fixed(s) => Ok(s),
            ShardSpec::Auto => Shard::from_env(|v| std::env::var(v).ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn parses_k_of_n() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!("1/1".parse(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/4", "5/4", "2", "a/4", "2/0", "/", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!("auto".parse(), Ok(ShardSpec::Auto));
    }

    #[test]
    fn every_domain_in_exactly_one_shard_and_spread() {
        let names: Vec<String> = (0..7000).map(|i| format!("n{i}.co.jp")).collect();
        for count in [1, 2, 3, 7] {
            let mut sizes = vec![0; count as usize];
            for n in &names {
                let holders: Vec<u32> = (1..=count)
                    .filter(|&k| Shard { index: k, count }.holds(n))
                    .collect();
                assert_eq!(holders.len(), 1);
                sizes[holders[0] as usize - 1] += 1;
            }
            let even = names.len() / count as usize;
            assert!(
                sizes.iter().all(|&s| s > even * 9 / 10),
                "{count}: {sizes:?}"
            );
        }
        // Fixed by definition: the FNV-1a test vector.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn array_tasks_from_slurm_and_kubernetes() {
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(
            Shard::from_env(env(&slurm)),
            Ok(Shard { index: 4, count: 4 })
        );
        let one_based = [
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(
            Shard::from_env(env(&one_based)),
            Ok(Shard { index: 1, count: 4 })
        );
        let k8s = [
            ("JOB_COMPLETION_INDEX", "0"),
            ("MAILCENSUS_SHARD_COUNT", "7"),
        ];
        assert_eq!(Shard::from_env(env(&k8s)), Ok(Shard { index: 1, count: 7 }));
        assert_eq!(Shard::from_env(env(&[])), Err(ShardError::NoTask));
        assert!(Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "0")])).is_err());
        let gap = [
            ("SLURM_ARRAY_TASK_ID", "9"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert!(matches!(
            Shard::from_env(env(&gap)),
            Err(ShardError::BadTask(_))
        ));
        let step = [
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
        ];
        assert!(matches!(
            Shard::from_env(env(&step)),
            Err(ShardError::BadTask(_))
        ));
    }
}

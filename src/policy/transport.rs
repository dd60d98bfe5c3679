//! What the checks that connect found, as the judgement reads it: how an SMTP probe of a mail
//! host ended, what its certificate is worth and whether its TLSA records matched it, and how
//! the fetch of an MTA-STS policy ended (the connections themselves are `crate::transport`'s).

use super::mailhost::Share;
use super::mta_sts::{StsMode, StsPolicy};

crate::codes! {
    /// How the probe of one MX host ended.
    pub enum SmtpOutcome {
        /// STARTTLS offered, and the handshake completed.
        Tls => "tls",
        /// EHLO answered without STARTTLS.
        NoStarttls => "no-starttls",
        /// STARTTLS offered, and then refused or the handshake failed.
        TlsFailed => "tls-failed",
        /// The greeting or the reply to EHLO was not 2xx: whether STARTTLS is offered is unknown.
        Rejected => "rejected",
        /// The connection was refused, reset or closed mid-dialogue.
        Refused => "refused",
        /// A step took longer than the timeout: a host that never answers.
        Timeout => "timeout",
        /// The host has no address to connect to.
        NoAddress => "no-address",
    }
}

impl SmtpOutcome {
    /// Whether STARTTLS is known offered (`Some(true)`), known not (`Some(false)`), or unknown
    /// because the dialogue never got that far.
    pub fn starttls(self) -> Option<bool> {
        match self {
            SmtpOutcome::Tls | SmtpOutcome::TlsFailed => Some(true),
            SmtpOutcome::NoStarttls => Some(false),
            _ => None,
        }
    }
}

crate::codes! {
    /// The certificate chain a server presented, judged under WebPKI for the name asked.
    pub enum CertVerdict {
        Valid => "valid",
        /// Past its notAfter (or before its notBefore).
        Expired => "expired",
        /// Chains to a trusted root, but names other hosts.
        WrongName => "wrong-name",
        /// Chains to no trusted root: self-signed, or an unknown issuer.
        Untrusted => "untrusted",
        /// Otherwise unusable: a bad signature, encoding or extension.
        Invalid => "invalid",
    }
}

crate::codes! {
    /// Whether a usable TLSA record matched.
    pub enum DaneMatch {
        Match => "match",
        Mismatch => "mismatch",
    }
}

crate::codes! {
    /// How the fetch of a policy ended.
    pub enum StsOutcome {
        /// Fetched, and it parsed.
        Fetched => "fetched",
        /// Fetched, and it does not parse as a policy (§3.2).
        Invalid => "invalid",
        /// The certificate is not valid for the policy host, or the handshake failed.
        TlsFailed => "tls-failed",
        /// Not a 200 (a redirect included, which §3.3 forbids following), not `text/plain`, or
        /// a body over the bound.
        HttpError => "http-error",
        /// The connection was refused or reset.
        Refused => "refused",
        /// A step took longer than the timeout.
        Timeout => "timeout",
        /// `mta-sts.<name>` has no address.
        NoAddress => "no-address",
    }
}

impl StsOutcome {
    /// Whether the policy host answered (or is known to have no address): a refused or
    /// silent host leaves the policy unknown.
    pub fn reached(self) -> bool {
        !matches!(self, StsOutcome::Refused | StsOutcome::Timeout)
    }
}

/// One MX host's SMTP probe, as the judgement reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostTls {
    pub outcome: SmtpOutcome,
    /// The chain's verdict, where a handshake completed.
    pub cert: Option<CertVerdict>,
    pub dane: Option<DaneMatch>,
}

/// A name's MTA-STS policy fetch, as the judgement reads it.
#[derive(Debug, Clone, Copy)]
pub struct StsSeen<'a> {
    pub outcome: StsOutcome,
    pub policy: Option<&'a StsPolicy>,
    pub mx_match: Option<Share>,
}

impl StsSeen<'_> {
    /// A policy that a sender enforces on this name's mail: fetched, in mode `enforce`, and
    /// matching every MX host.
    pub fn enforced(&self) -> bool {
        self.policy.is_some_and(|p| p.mode == StsMode::Enforce) && self.mx_match == Some(Share::All)
    }
}

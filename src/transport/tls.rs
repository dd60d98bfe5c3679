//! The TLS side of both checks: the handshake that completes whatever certificate the server
//! presents (a survey measures, it sends no mail), then the chain judged under WebPKI for the
//! host's name; the stream counted in bytes.

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::TransportError;
use crate::policy::transport::CertVerdict;

crate::codes! {
    /// The TLS version negotiated (rustls speaks 1.2 and 1.3 only: a server that offers only
    /// older versions fails the handshake).
    pub enum TlsVersion {
        Tls12 => "TLSv1.2",
        Tls13 => "TLSv1.3",
    }
}

/// What a completed handshake showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFacts {
    pub version: Option<TlsVersion>,
    /// The IANA name of the cipher suite.
    pub cipher: String,
    pub cert: CertVerdict,
    /// Days from now to the end-entity certificate's notAfter (negative once past).
    pub days_left: Option<i64>,
}

/// The chain as presented, end entity first (DER).
pub type Chain = Vec<Vec<u8>>;

/// The roots trusted, the verifier made of them, and the client configuration that lets any
/// chain through the handshake so that it can be judged after.
pub struct Trust {
    provider: Arc<CryptoProvider>,
    pub(super) verifier: Arc<WebPkiServerVerifier>,
    connector: TlsConnector,
}

impl Trust {
    /// The system's roots and those of `ca_files`.
    pub fn new(ca_files: &[PathBuf]) -> Result<Trust, TransportError> {
        let provider = Arc::new(ring::default_provider());
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        for path in ca_files {
            let read = |e| TransportError::CaFile {
                path: path.clone(),
                source: e,
            };
            let bytes = std::fs::read(path).map_err(read)?;
            let certs: Vec<CertificateDer> = CertificateDer::pem_slice_iter(&bytes)
                .filter_map(Result::ok)
                .collect();
            if certs.is_empty() {
                return Err(TransportError::NoCertificate { path: path.clone() });
            }
            roots.add_parsable_certificates(certs);
        }
        if roots.is_empty() {
            return Err(TransportError::NoRoots);
        }
        let verifier = Self::verifier(roots, &provider);
        let accept = Arc::new(AcceptAny(provider.clone()));
        let config = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("ring supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(accept)
            .with_no_client_auth();
        Ok(Trust {
            verifier,
            connector: TlsConnector::from(Arc::new(config)),
            provider,
        })
    }

    fn verifier(roots: RootCertStore, provider: &Arc<CryptoProvider>) -> Arc<WebPkiServerVerifier> {
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .expect("a verifier of non-empty roots")
    }

    /// A verifier that trusts `anchor` alone, for DANE-TA (RFC 7672 §3.1.2).
    pub(super) fn anchored(&self, anchor: &[u8]) -> Option<Arc<WebPkiServerVerifier>> {
        let mut roots = RootCertStore::empty();
        roots.add(CertificateDer::from(anchor.to_vec())).ok()?;
        Some(Self::verifier(roots, &self.provider))
    }

    /// The handshake over `stream` for `host`, then the facts of the chain.
    pub async fn handshake<S>(
        &self,
        stream: S,
        host: &str,
    ) -> Result<(TlsStream<S>, TlsFacts, Chain), String>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let name = ServerName::try_from(host.to_string()).map_err(|e| e.to_string())?;
        let tls = self
            .connector
            .connect(name.clone(), stream)
            .await
            .map_err(|e| handshake_error(&e))?;
        let conn = tls.get_ref().1;
        let chain: Vec<Vec<u8>> = conn
            .peer_certificates()
            .unwrap_or_default()
            .iter()
            .map(|c| c.to_vec())
            .collect();
        let facts = TlsFacts {
            version: match conn.protocol_version() {
                Some(rustls::ProtocolVersion::TLSv1_3) => Some(TlsVersion::Tls13),
                Some(rustls::ProtocolVersion::TLSv1_2) => Some(TlsVersion::Tls12),
                _ => None,
            },
            cipher: conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()))
                .unwrap_or_default(),
            cert: judge(&self.verifier, &chain, &name),
            days_left: chain.first().and_then(|c| days_left(c)),
        };
        Ok((tls, facts, chain))
    }
}

/// The chain under `verifier` for `name`, now.
pub(super) fn judge(
    verifier: &WebPkiServerVerifier,
    chain: &[Vec<u8>],
    name: &ServerName,
) -> CertVerdict {
    let Some((ee, rest)) = chain.split_first() else {
        return CertVerdict::Invalid;
    };
    let ee = CertificateDer::from(ee.as_slice());
    let rest: Vec<CertificateDer> = rest
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    match verifier.verify_server_cert(&ee, &rest, name, &[], UnixTime::now()) {
        Ok(_) => CertVerdict::Valid,
        Err(rustls::Error::InvalidCertificate(e)) => match e {
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => CertVerdict::Expired,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                CertVerdict::WrongName
            }
            CertificateError::UnknownIssuer => CertVerdict::Untrusted,
            _ => CertVerdict::Invalid,
        },
        Err(_) => CertVerdict::Invalid,
    }
}

/// Days from now to the certificate's notAfter.
fn days_left(der: &[u8]) -> Option<i64> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let end = cert.validity().not_after.timestamp();
    let now = UnixTime::now().as_secs() as i64;
    Some((end - now).div_euclid(86_400))
}

/// The certificate's SubjectPublicKeyInfo (DER), for TLSA selector 1.
pub(super) fn spki(der: &[u8]) -> Option<Vec<u8>> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(cert.tbs_certificate.subject_pki.raw.to_vec())
}

/// A failed handshake in a few words: the alert or the error rustls names.
fn handshake_error(e: &io::Error) -> String {
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::AlertReceived(a)) => format!("alert {a:?}"),
        Some(other) => other.to_string(),
        None => e.kind().to_string(),
    }
}

/// Lets any chain through the handshake (the signatures of the handshake itself are still
/// checked), to be judged after it by [`judge`].
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The bytes through a [`Counted`] stream, readable once the stream is gone.
#[derive(Clone, Default)]
pub struct Tally {
    sent: Arc<AtomicU64>,
    received: Arc<AtomicU64>,
}

impl Tally {
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

/// A stream that counts the bytes through it.
pub struct Counted<S> {
    inner: S,
    tally: Tally,
}

impl<S> Counted<S> {
    /// `inner`, counted, and the tally to read after.
    pub fn new(inner: S) -> (Counted<S>, Tally) {
        let tally = Tally::default();
        let counted = Counted {
            inner,
            tally: tally.clone(),
        };
        (counted, tally)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.tally.received.fetch_add(n as u64, Ordering::Relaxed);
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            self.tally.sent.fetch_add(n as u64, Ordering::Relaxed);
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

//! Every table a run publishes, in one place: its file stem under `tables/` (also its key in
//! the report), the order tables are published in, and the results schema version its columns
//! need, so that the writer, `tabulate`, the report and the README cannot drift apart.

crate::codes! {
    /// A published table, in publication order.
    pub enum TableName {
        JpTypes => "jp_types",
        DmarcStrength => "dmarc_strength",
        DmarcEffective => "dmarc_effective",
        DmarcDiscovery => "dmarc_discovery",
        SpfVerdicts => "spf_verdicts",
        SpfErrors => "spf_errors",
        LocalgovRegions => "localgov_regions",
        LocalgovPrefectures => "localgov_prefectures",
        DmarcStrengthLocalgovRegions => "dmarc_strength_localgov_regions",
        ComplianceGovernment => "compliance_government",
        Compliance => "compliance",
        CompliancePrefectures => "compliance_prefectures",
        Checks => "checks",
        DnsOperators => "dns_operators",
        MailHosts => "mail_hosts",
        Transport => "transport",
        TransportLocalgovRegions => "transport_localgov_regions",
        TransportDnsOperators => "transport_dns_operators",
        SpfPermissive => "spf_permissive",
        SpfPermissiveLocalgovRegions => "spf_permissive_localgov_regions",
        SpfProviders => "spf_providers",
        /// Only where the run knows its names' DNS operators (the list's `ns` column or the
        /// `ns` check).
        OperatorsHealth => "operators_health",
    }
}

impl TableName {
    /// The results schema version whose columns the table needs; a run written before it
    /// leaves the table out and says so.
    pub fn since(self) -> u32 {
        use TableName::*;
        match self {
            JpTypes | LocalgovRegions | LocalgovPrefectures => 1,
            DmarcStrength
            | DmarcEffective
            | DmarcDiscovery
            | SpfVerdicts
            | SpfErrors
            | DmarcStrengthLocalgovRegions => 2,
            ComplianceGovernment | Compliance | CompliancePrefectures | Checks | DnsOperators => 4,
            MailHosts => 6,
            OperatorsHealth => 7,
            SpfPermissive | SpfPermissiveLocalgovRegions | SpfProviders => 8,
            Transport | TransportLocalgovRegions | TransportDnsOperators => 9,
        }
    }

    /// Its file under `tables/`.
    pub fn file(self) -> String {
        format!("{}.csv", self.code())
    }

    /// Whether results of schema `version` have the table's columns.
    pub fn in_schema(self, version: u32) -> bool {
        version >= self.since()
    }
}

//! The text codes of the enums a run records (outcomes, verdicts, statuses): one spelling,
//! declared once beside each variant, used alike by the journal, `results.parquet`, JSON
//! output and the tables.

/// An enum whose every variant has a stable text code.
pub trait Code: Copy + Eq + 'static {
    /// Every variant, in the order tables list them.
    const ALL: &'static [Self];
    /// Their codes, in the same order.
    const CODES: &'static [&'static str];
    fn code(self) -> &'static str;
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }
}

/// Declares a fieldless enum with a code per variant (`Variant => "code"`), in the order
/// given, and implements [`Code`], `Display`, `FromStr` and serde through the codes.
#[macro_export]
macro_rules! codes {
    (@unit $variant:ident) => {
        ()
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $crate::code::Code for $name {
            const ALL: &'static [Self] = &$name::ALL;
            const CODES: &'static [&'static str] = &[$($code),+];
            fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }
        }

        impl $name {
            /// Every variant, in the order tables list them.
            pub const ALL: [$name; <[()]>::len(&[$($crate::codes!(@unit $variant)),+])] =
                [$($name::$variant),+];

            pub fn code(self) -> &'static str {
                <$name as $crate::code::Code>::code(self)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                <$name as $crate::code::Code>::from_code(s).ok_or_else(|| {
                    format!(
                        "unknown {} {s:?}: one of {}",
                        stringify!($name),
                        <$name as $crate::code::Code>::CODES.join(", ")
                    )
                })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::Code;

    crate::codes! {
        /// A test enum.
        enum Light {
            Red => "red",
            /// Documented variant.
            Amber => "amber-light",
        }
    }

    #[test]
    fn one_spelling_everywhere() {
        assert_eq!(Light::ALL, [Light::Red, Light::Amber]);
        assert_eq!(Light::CODES, &["red", "amber-light"]);
        assert_eq!(Light::Amber.to_string(), "amber-light");
        assert_eq!("amber-light".parse::<Light>(), Ok(Light::Amber));
        assert!(
            "Amber"
                .parse::<Light>()
                .unwrap_err()
                .contains("red, amber-light")
        );
        assert_eq!(
            serde_json::to_string(&Light::Amber).unwrap(),
            "\"amber-light\""
        );
        let back: Light = serde_json::from_str("\"red\"").unwrap();
        assert_eq!(back, Light::Red);
        assert!(serde_json::from_str::<Light>("\"Red\"").is_err());
    }
}

//! What the transforms found, for the build script and xtask.

/// A string enum that the generated code represents as an *open* enum: known
/// values are variants, anything else is kept as `Unknown(String)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenEnum {
    /// The component schema name (and Rust type name).
    pub name: String,
    /// The documented values, in spec order.
    pub values: Vec<String>,
    /// The schema's description, if any.
    pub description: Option<String>,
}

/// A tagged `oneOf` that the generated code represents as an *open* union:
/// `Known(<name>Known)` for documented tags, `Unknown(serde_json::Value)` for
/// anything else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenUnion {
    /// The component schema name users see.
    pub name: String,
    /// The component that holds the closed, generated union.
    pub known: String,
    /// The property that carries the tag.
    pub tag: String,
    /// The documented tag values.
    pub tags: Vec<String>,
    /// The component schema of each variant, in the order of `tags`.
    pub variants: Vec<String>,
}

/// An operation progenitor cannot take, left out of its input and written by
/// hand in `kernel-sys` with the generated types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandWritten {
    /// The `operationId`.
    pub id: String,
    /// Why the generator cannot take it.
    pub reason: &'static str,
}

/// A response removed from progenitor's view, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DroppedResponse {
    /// The `operationId`.
    pub id: String,
    /// The status code.
    pub status: String,
    /// The body schema name after normalization, if it had one.
    pub schema: Option<String>,
}

/// What [`normalize`](crate::normalize) produced besides the document itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Enums to generate as open enums (typify replacements).
    pub open_enums: Vec<OpenEnum>,
    /// Tagged unions to generate as open unions (typify replacements).
    pub open_unions: Vec<OpenUnion>,
    /// Operations removed from progenitor's input and written by hand.
    pub hand_written: Vec<HandWritten>,
    /// Non-primary responses removed from progenitor's input: error bodies
    /// (decoded by the hooks instead) and alternate 2xx outcomes.
    pub dropped_responses: Vec<DroppedResponse>,
}

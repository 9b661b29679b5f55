//! The simulated Podio objects: users, organizations, workspaces, apps with
//! their field definitions, and items with typed field values.
//!
//! Values are stored typed (numbers as numbers, options as ids) so filtering
//! and sorting need no parsing; they are rendered to Podio's JSON shapes in
//! `render`.

use std::collections::BTreeMap;

/// A Podio user with the profile that represents them in contact fields.
#[derive(Debug, Clone)]
pub struct User {
    /// The user id (`ref.id` of a password-grant token).
    pub user_id: u64,
    /// The profile id (what contact fields reference).
    pub profile_id: u64,
    /// Display name.
    pub name: String,
    /// Login e-mail.
    pub mail: String,
    /// Password for the password grant; `None` means the user cannot log in.
    pub password: Option<String>,
    /// Avatar file id.
    pub avatar: u64,
}

/// A member's role in an organization or workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Can manage the org or space.
    Admin,
    /// Can add and edit content.
    Regular,
    /// Can view and comment.
    Light,
}

impl Role {
    /// Podio's name for the role.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Regular => "regular",
            Role::Light => "light",
        }
    }
}

/// An organization.
#[derive(Debug, Clone)]
pub struct Org {
    /// Organization id.
    pub org_id: u64,
    /// Display name.
    pub name: String,
    /// Slug used in URLs.
    pub url_label: String,
    /// free / sponsored / premium.
    pub kind: &'static str,
    /// Logo file id.
    pub logo: u64,
    /// Creation time.
    pub created_on: String,
    /// Members and their org role.
    pub members: Vec<(u64, Role)>,
}

/// A workspace.
#[derive(Debug, Clone)]
pub struct Space {
    /// Space id.
    pub space_id: u64,
    /// The organization the space belongs to.
    pub org_id: u64,
    /// Display name.
    pub name: String,
    /// Slug used in URLs.
    pub url_label: String,
    /// Description shown in the space header.
    pub description: String,
    /// `open` (anyone in the org may join) or `closed`.
    pub privacy: &'static str,
    /// Creation time.
    pub created_on: String,
    /// The user who created the space.
    pub created_by: u64,
    /// Members and their space role.
    pub members: Vec<(u64, Role)>,
}

impl Space {
    /// The role of `user_id` in this space, if a member.
    pub fn role_of(&self, user_id: u64) -> Option<Role> {
        self.members
            .iter()
            .find(|(id, _)| *id == user_id)
            .map(|(_, role)| *role)
    }
}

/// An app (a table of items) in a workspace.
#[derive(Debug, Clone)]
pub struct App {
    /// App id.
    pub app_id: u64,
    /// The space holding the app.
    pub space_id: u64,
    /// Plural name, e.g. "Deals".
    pub name: String,
    /// Singular item name, e.g. "Deal".
    pub item_name: String,
    /// Slug used in URLs.
    pub url_label: String,
    /// Icon file name.
    pub icon: String,
    /// What the app is for.
    pub description: String,
    /// The app token accepted by the `app` grant.
    pub token: String,
    /// Revision of the app definition.
    pub current_revision: u64,
    /// The user who owns the app.
    pub owner: u64,
    /// Field definitions in display order.
    pub fields: Vec<Field>,
}

impl App {
    /// The field named by `key`: a field id as decimal text, or an external id.
    pub fn field_by_key(&self, key: &str) -> Option<&Field> {
        match key.parse::<u64>() {
            Ok(id) => self.fields.iter().find(|f| f.field_id == id),
            Err(_) => self.fields.iter().find(|f| f.external_id == key),
        }
    }

    /// The field whose value is the item title: the first active text field.
    pub fn title_field(&self) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| f.active && matches!(f.kind, FieldKind::Text { .. }))
    }
}

/// One field of an app.
#[derive(Debug, Clone)]
pub struct Field {
    /// Field id, unique across apps.
    pub field_id: u64,
    /// Slug, unique within the app.
    pub external_id: String,
    /// Display label.
    pub label: String,
    /// Help text.
    pub description: Option<String>,
    /// Whether a value is required.
    pub required: bool,
    /// `false` for a deleted field, which Podio still lists with status deleted.
    pub active: bool,
    /// Type and type-specific settings.
    pub kind: FieldKind,
}

/// A field type with its settings (§7.3 `config.settings`).
#[derive(Debug, Clone)]
pub enum FieldKind {
    /// Text; `large` fields are multi-line, `format` is plain/markdown/html.
    Text {
        /// Multi-line.
        large: bool,
        /// plain / markdown / html.
        format: &'static str,
    },
    /// A decimal number.
    Number {
        /// Decimals shown.
        decimals: u8,
    },
    /// An amount in one of the allowed currencies.
    Money {
        /// ISO 4217 codes.
        currencies: Vec<String>,
    },
    /// One or more options.
    Category {
        /// Options, including deleted ones.
        options: Vec<CategoryOption>,
        /// Whether several may be selected.
        multiple: bool,
    },
    /// A date, optionally with a time.
    Date {
        /// Whether a time of day is enabled.
        time: bool,
    },
    /// References to items of other apps.
    App {
        /// Apps whose items may be referenced.
        referenced_apps: Vec<u64>,
        /// Whether several items may be referenced.
        multiple: bool,
    },
    /// References to user profiles.
    Contact,
    /// E-mail addresses.
    Email,
    /// Phone numbers.
    Phone,
    /// An address with coordinates.
    Location,
    /// A link (Podio "embed").
    Embed,
    /// A percentage 0–100.
    Progress,
    /// A duration in seconds.
    Duration,
    /// Images (file references restricted to image mimetypes).
    Image,
    /// File attachments.
    File,
    /// Read-only, computed from other fields.
    Calculation {
        /// The formula.
        formula: Formula,
        /// Decimals shown.
        decimals: u8,
    },
}

impl FieldKind {
    /// Podio's `type` string.
    pub fn type_name(&self) -> &'static str {
        match self {
            FieldKind::Text { .. } => "text",
            FieldKind::Number { .. } => "number",
            FieldKind::Money { .. } => "money",
            FieldKind::Category { .. } => "category",
            FieldKind::Date { .. } => "date",
            FieldKind::App { .. } => "app",
            FieldKind::Contact => "contact",
            FieldKind::Email => "email",
            FieldKind::Phone => "phone",
            FieldKind::Location => "location",
            FieldKind::Embed => "embed",
            FieldKind::Progress => "progress",
            FieldKind::Duration => "duration",
            FieldKind::Image => "image",
            FieldKind::File => "file",
            FieldKind::Calculation { .. } => "calculation",
        }
    }
}

/// An option of a category field.
#[derive(Debug, Clone)]
pub struct CategoryOption {
    /// Option id, unique within the field.
    pub id: u64,
    /// Display text.
    pub text: String,
    /// `false` for a deleted option (still listed, status deleted).
    pub active: bool,
    /// Hex colour without `#`.
    pub color: String,
}

/// A calculation field's formula over other fields of the same item.
#[derive(Debug, Clone)]
pub enum Formula {
    /// `numerator / denominator` (fields given by id); no value when either
    /// is missing or the denominator is zero.
    Divide {
        /// Field id of the dividend.
        numerator: u64,
        /// Field id of the divisor.
        denominator: u64,
    },
}

/// An item (a row of an app).
#[derive(Debug, Clone)]
pub struct Item {
    /// Item id, unique across apps.
    pub item_id: u64,
    /// The app holding the item.
    pub app_id: u64,
    /// Sequence number within the app.
    pub app_item_id: u64,
    /// Creation time.
    pub created_on: String,
    /// Creating user.
    pub created_by: u64,
    /// Time of the last change.
    pub last_event_on: String,
    /// Current revision (0 = never edited).
    pub revision: u64,
    /// Values per field id; fields without values are absent.
    pub values: BTreeMap<u64, Vec<FieldValue>>,
    /// The caller's own id for the item (`external_id`), if set.
    pub external_id: Option<String>,
    /// Tags, in the order given.
    pub tags: Vec<String>,
    /// The app whose token created the item; `created_by` then names the
    /// app's owner only as a fallback, the byline shows the app.
    pub created_by_app: Option<u64>,
}

/// One value of a field, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Text.
    Text(String),
    /// Number.
    Number(f64),
    /// Amount and currency.
    Money {
        /// The amount.
        amount: f64,
        /// ISO 4217 code.
        currency: String,
    },
    /// Selected option id.
    Category(u64),
    /// A date (and optional time); end is optional.
    Date {
        /// Start.
        start: DateValue,
        /// End, when the field has an end date.
        end: Option<DateValue>,
    },
    /// Referenced item id.
    AppRef(u64),
    /// Referenced profile id.
    Contact(u64),
    /// E-mail address with its type (work/home/other).
    Email {
        /// work / home / other.
        kind: String,
        /// The address.
        address: String,
    },
    /// Phone number with its type (mobile/work/…).
    Phone {
        /// mobile / work / home / main / work_fax / private_fax / other.
        kind: String,
        /// The number.
        number: String,
    },
    /// An address.
    Location(Location),
    /// A link.
    Embed(Embed),
    /// Percentage.
    Progress(u8),
    /// Seconds.
    Duration(u64),
    /// A file (image or file field), by file id.
    File(u64),
}

/// A date with an optional time of day (UTC; the demo user's zone is UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateValue {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM:SS`, or `None` for a date-only value.
    pub time: Option<String>,
}

impl DateValue {
    /// `YYYY-MM-DD HH:MM:SS`, midnight for date-only values.
    pub fn timestamp(&self) -> String {
        format!(
            "{} {}",
            self.date,
            self.time.as_deref().unwrap_or("00:00:00")
        )
    }
}

/// An address with coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// Street address.
    pub street: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// Country.
    pub country: String,
    /// Latitude, unknown for an address written without coordinates.
    pub lat: Option<f64>,
    /// Longitude.
    pub lng: Option<f64>,
}

impl Location {
    /// The one-line address Podio shows as `value`; a written free-form
    /// address lives in `street` with the other parts empty.
    pub fn formatted(&self) -> String {
        let town = format!("{} {}", self.postal_code, self.city);
        [self.street.as_str(), town.trim(), self.country.as_str()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// An uploaded file that image and file fields reference.
#[derive(Debug, Clone, PartialEq)]
pub struct FileObject {
    /// File id.
    pub file_id: u64,
    /// File name.
    pub name: String,
    /// MIME type, e.g. `image/png`.
    pub mimetype: String,
    /// Size in bytes.
    pub size: u64,
    /// Upload time.
    pub created_on: String,
}

/// Who may see a saved view, and whether it is one of Podio's built-in ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    /// Only its creator sees it.
    Private,
    /// Everyone who sees the app sees it.
    Team,
    /// A built-in view, listed only with `include_standard_views=true`.
    Standard,
}

impl ViewKind {
    /// Podio's `type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            ViewKind::Private => "private",
            ViewKind::Team => "team",
            ViewKind::Standard => "standard",
        }
    }
}

/// A saved view of an app: filters and sort order under a name.
#[derive(Debug, Clone)]
pub struct View {
    /// View id.
    pub view_id: u64,
    /// The app the view belongs to.
    pub app_id: u64,
    /// Display name.
    pub name: String,
    /// Private, team or standard.
    pub kind: ViewKind,
    /// Creation time.
    pub created_on: String,
    /// Creating user.
    pub created_by: u64,
    /// Sort key in filter syntax (built-in name or field id), if any.
    pub sort_by: Option<String>,
    /// Descending order.
    pub sort_desc: bool,
    /// Filters in the view shape: (key, values) where key is a field id as
    /// text or a built-in key and values use the filter-request format.
    pub filters: Vec<(String, serde_json::Value)>,
    /// table / card / badge / calendar.
    pub layout: &'static str,
}

/// When a member was invited to and joined a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// Invitation time.
    pub invited_on: String,
    /// Acceptance time.
    pub started_on: String,
}

/// A link preview.
#[derive(Debug, Clone, PartialEq)]
pub struct Embed {
    /// Embed id.
    pub embed_id: u64,
    /// The URL.
    pub url: String,
    /// Page title.
    pub title: String,
    /// Page description.
    pub description: String,
}

impl Item {
    /// The numeric value of `field` on this item (number, money amount,
    /// progress, duration or a computed calculation), if it has one.
    pub fn numeric(&self, field: &Field) -> Option<f64> {
        if let FieldKind::Calculation { formula, .. } = &field.kind {
            return match formula {
                Formula::Divide {
                    numerator,
                    denominator,
                } => {
                    let n = self.numeric_of(*numerator)?;
                    let d = self.numeric_of(*denominator)?;
                    (d != 0.0).then_some(n / d)
                }
            };
        }
        self.numeric_of(field.field_id)
    }

    fn numeric_of(&self, field_id: u64) -> Option<f64> {
        match self.values.get(&field_id)?.first()? {
            FieldValue::Number(n) => Some(*n),
            FieldValue::Money { amount, .. } => Some(*amount),
            FieldValue::Progress(p) => Some(f64::from(*p)),
            // Durations in the demo data are far below 2^53 seconds.
            #[allow(clippy::cast_precision_loss)]
            FieldValue::Duration(s) => Some(*s as f64),
            _ => None,
        }
    }
}

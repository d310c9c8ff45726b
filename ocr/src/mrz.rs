//! Machine-readable zone: layouts, check digits and OCR repairs.
//!
//! Layouts follow ICAO 9303 (TD1, TD2, TD3) plus the French national identity card issued from
//! 1988 to 2021, whose 2 × 36 zone is not TD2 (see DOMAIN.md §5). OCR output is repaired field by
//! field, and only where the field's type forbids the character read: a letter in a date becomes
//! the digit it is commonly confused with, a digit in a name the letter. A field that may hold
//! both (most document numbers) is never changed from one reading: characters on which several
//! readings disagree are resolved by [`crate::consensus`], never by searching for a change that
//! makes a check digit pass (one wrong change in ten would).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The zone layouts we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MrzFormat {
    /// 3 lines × 30: 2021+ French ID card, residence permits, most ID cards.
    Td1,
    /// 2 lines × 36: some ID cards and visas.
    Td2,
    /// 2 lines × 44: passports.
    Td3,
    /// 2 lines × 36: French national ID card issued 1988–2021 (no expiry in the zone).
    FrenchIdCard1988,
}

impl MrzFormat {
    /// Lines and characters per line.
    pub(crate) fn shape(self) -> (usize, usize) {
        match self {
            Self::Td1 => (3, 30),
            Self::Td2 | Self::FrenchIdCard1988 => (2, 36),
            Self::Td3 => (2, 44),
        }
    }
}

/// Sex as written in the zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Unspecified,
}

/// A field protected by a check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckedField {
    DocumentNumber,
    BirthDate,
    ExpiryDate,
    PersonalNumber,
    Composite,
}

/// The outcome of one check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CheckDigit {
    pub field: CheckedField,
    pub valid: bool,
}

/// One character changed from what the OCR read, and why we trust the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Repair {
    /// Zone field that was repaired, e.g. `birth_date`, `document_number`, `names`.
    pub field: String,
    pub read: char,
    pub corrected: char,
    /// The fix was confirmed by a check digit (otherwise it follows from the field's type only).
    pub confirmed_by_check_digit: bool,
    /// The OCR readings (numbered from 1, in the order they were made) that support the fix:
    /// those that made the same correction, or that read the corrected character.
    #[serde(default)]
    pub supported_by: Vec<u8>,
    /// The change follows the glyph's printed shape (OCR-B digits stand taller than its
    /// letters), and the check digits confirm it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_shape: bool,
}

/// Issue data carried by the card number of the 1988–2021 French ID card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FrenchCardIssue {
    pub issue_year: i32,
    pub issue_month: u32,
    /// Issuing département (three characters, may hold a letter such as `75K`).
    pub department: String,
}

/// A parsed machine-readable zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mrz {
    pub format: MrzFormat,
    /// Document code with fillers removed, e.g. `P`, `ID`, `I`, `IR`.
    pub document_code: String,
    pub issuing_state: String,
    pub surname: String,
    pub given_names: Vec<String>,
    pub document_number: String,
    pub nationality: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Sex,
    pub expiry_date: Option<NaiveDate>,
    pub french_card: Option<FrenchCardIssue>,
    /// The names field reads cleanly (names, then only fillers). ICAO names carry no check
    /// digit, so a field with letters after its fillers was misread or misaligned.
    pub names_clean: bool,
    pub checks: Vec<CheckDigit>,
    pub repairs: Vec<Repair>,
    /// A data line was one character too long or too short and was realigned to validate.
    #[serde(skip)]
    pub realigned: bool,
    /// The zone lines after repair (kept in memory only; callers decide what to expose).
    #[serde(skip)]
    pub lines: Vec<String>,
}

/// Why no zone could be parsed from a text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MrzError {
    #[error("no machine-readable zone lines in the text")]
    NoZone,
}

impl Mrz {
    /// Every check digit (and the composite) validates.
    pub fn all_checks_valid(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.valid)
    }

    /// Number of check digits that validate.
    pub fn valid_check_count(&self) -> usize {
        self.checks.iter().filter(|c| c.valid).count()
    }

    /// Parses OCR text: finds the zone lines among other text and repairs them.
    ///
    /// When several readings are possible, the one with the most valid check digits wins.
    pub fn parse(text: &str) -> Result<Mrz, MrzError> {
        Self::parse_shaped(text, None)
    }

    /// [`Mrz::parse`] in the layouts of `shape` (lines, characters per line) only, when the
    /// printed zone was seen to have that shape.
    pub(crate) fn parse_shaped(text: &str, shape: Option<(usize, usize)>) -> Result<Mrz, MrzError> {
        let lines: Vec<String> = text
            .lines()
            .map(clean_line)
            .filter(|l| l.len() >= 12)
            .collect();
        let mut best: Option<Mrz> = None;
        let mut consider = |m: Mrz| {
            let better = match &best {
                None => true,
                Some(b) => score(&m) > score(b),
            };
            if better {
                best = Some(m);
            }
        };
        for format in [
            MrzFormat::Td3,
            MrzFormat::Td1,
            MrzFormat::FrenchIdCard1988,
            MrzFormat::Td2,
        ] {
            let (n, width) = format.shape();
            if lines.len() < n || shape.is_some_and(|s| s != (n, width)) {
                continue;
            }
            for start in 0..=lines.len() - n {
                let group = &lines[start..start + n];
                // OCR drops fillers in long runs far more often than it adds characters, and a
                // names line may lose most of its trailing fillers: only data lines must be
                // close to the layout's width.
                let data_lines: &[usize] = match format {
                    MrzFormat::Td1 => &[0, 1],
                    _ => &[1],
                };
                let fits = group.iter().enumerate().all(|(i, l)| {
                    let min = if data_lines.contains(&i) {
                        width - 9
                    } else {
                        12
                    };
                    l.len() >= min && l.len() <= width + 4
                });
                if fits {
                    let refs: Vec<&str> = group.iter().map(String::as_str).collect();
                    let first = parse_as(format, &refs);
                    let settled = first.as_ref().is_some_and(Mrz::all_checks_valid);
                    if let Some(m) = first {
                        consider(m);
                    }
                    if !settled {
                        for m in realigned(format, group, data_lines) {
                            consider(m);
                        }
                    }
                }
            }
        }
        best.ok_or(MrzError::NoZone)
    }

    /// Parses lines known to form a zone, trying every layout of that shape.
    pub fn parse_lines(lines: &[&str]) -> Result<Mrz, MrzError> {
        Self::parse(&lines.join("\n"))
    }
}

/// Readings of a group where one data line one character too long or too short is aligned
/// by deleting, or inserting a filler at, each position in turn (instead of in its longest
/// filler run).
fn realigned(format: MrzFormat, group: &[String], data_lines: &[usize]) -> Vec<Mrz> {
    let (_, width) = format.shape();
    let mut out = Vec::new();
    for &li in data_lines {
        let line: Vec<char> = group[li].chars().collect();
        let candidates: Vec<String> = if line.len() == width + 1 {
            (0..line.len())
                .map(|i| line[..i].iter().chain(&line[i + 1..]).collect())
                .collect()
        } else if line.len() + 1 == width {
            // A lost character is only ever restored as a filler, next to other fillers.
            (0..=line.len())
                .filter(|&i| i == line.len() || line[i] == '<' || (i > 0 && line[i - 1] == '<'))
                .map(|i| {
                    line[..i]
                        .iter()
                        .chain(std::iter::once(&'<'))
                        .chain(&line[i..])
                        .collect()
                })
                .collect()
        } else {
            continue;
        };
        for candidate in candidates {
            let mut refs: Vec<&str> = group.iter().map(String::as_str).collect();
            refs[li] = &candidate;
            if let Some(mut m) = parse_as(format, &refs)
                && m.all_checks_valid()
            {
                m.realigned = true;
                out.push(m);
            }
        }
    }
    out
}

/// Where a checked field (with its check digit) sits: line, start, end.
fn field_span(format: MrzFormat, field: CheckedField) -> Option<(usize, usize, usize)> {
    use CheckedField as F;
    Some(match (format, field) {
        (MrzFormat::Td3 | MrzFormat::Td2, F::DocumentNumber) => (1, 0, 10),
        (MrzFormat::Td3 | MrzFormat::Td2, F::BirthDate) => (1, 13, 20),
        (MrzFormat::Td3 | MrzFormat::Td2, F::ExpiryDate) => (1, 21, 28),
        (MrzFormat::Td3, F::PersonalNumber) => (1, 28, 43),
        (MrzFormat::Td3, F::Composite) => (1, 43, 44),
        (MrzFormat::Td2, F::Composite) => (1, 35, 36),
        (MrzFormat::Td1, F::DocumentNumber) => (0, 5, 15),
        (MrzFormat::Td1, F::BirthDate) => (1, 0, 7),
        (MrzFormat::Td1, F::ExpiryDate) => (1, 8, 15),
        (MrzFormat::Td1, F::Composite) => (1, 29, 30),
        (MrzFormat::FrenchIdCard1988, F::DocumentNumber) => (1, 0, 13),
        (MrzFormat::FrenchIdCard1988, F::BirthDate) => (1, 27, 34),
        (MrzFormat::FrenchIdCard1988, F::Composite) => (1, 35, 36),
        _ => return None,
    })
}

/// What a zone position may hold, as its layout says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PositionKind {
    /// Dates, check digits, the old French card's serial digits.
    Digit,
    /// Document code, states, nationality, sex, names (and their fillers).
    Letter,
    /// Document numbers, optional data, personal numbers: letters, digits and fillers.
    Mixed,
}

/// What the layout lets a position of a zone hold.
pub(crate) fn position_kind(format: MrzFormat, line: usize, at: usize) -> PositionKind {
    use PositionKind::{Digit as D, Letter as L, Mixed as M};
    match (format, line) {
        (MrzFormat::Td3, 1) => match at {
            0..=8 | 28..=41 => M,
            9 | 13..=19 | 21..=27 | 42 | 43 => D,
            _ => L,
        },
        (MrzFormat::Td2, 1) => match at {
            0..=8 | 28..=34 => M,
            9 | 13..=19 | 21..=27 | 35 => D,
            _ => L,
        },
        (MrzFormat::Td1, 0) => match at {
            0..=4 => L,
            14 => D,
            _ => M,
        },
        (MrzFormat::Td1, 1) => match at {
            0..=6 | 8..=14 | 29 => D,
            7 | 15..=17 => L,
            _ => M,
        },
        (MrzFormat::FrenchIdCard1988, 0) => match at {
            0..=29 => L,
            _ => M,
        },
        (MrzFormat::FrenchIdCard1988, 1) => match at {
            0..=3 | 7..=12 | 27..=33 | 35 => D,
            4..=6 => M,
            _ => L,
        },
        _ => L,
    }
}

/// One character of a reading replaced by another reading's, in a [`Combination`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub field: &'static str,
    pub line: usize,
    pub at: usize,
    pub read: char,
    pub corrected: char,
}

/// The first reading with some characters taken from the others, validating every check.
#[derive(Debug, Clone)]
pub(crate) struct Combination {
    pub mrz: Mrz,
    pub changes: Vec<Change>,
}

/// The ways of resolving a disagreement between readings that validate every check.
#[derive(Debug, Clone, Default)]
pub(crate) struct Combinations {
    pub valid: Vec<Combination>,
    /// The check digits may choose between them: the document number and each date (with
    /// its check digit) have at most one disputed character, and the characters read there
    /// are one OCR confusion (`0`/`O`, `1`/`I`, `<`/`K`…). A check digit catches one wrong
    /// character; across several, or between unrelated characters (a misaligned reading), a
    /// mix of readings that no reading made validates by chance one time in ten. Elsewhere
    /// (optional data, the composite's digit) disputes are free: the reported fields are
    /// then read alike by the readings combined.
    pub decidable: bool,
}

/// At most this many disagreeing characters are combined: beyond, some wrong combination
/// would validate by chance (each check digit lets one in ten through).
const MAX_COMBINED_POSITIONS: usize = 8;

/// The spans every check digit of a layout covers, its check digits included.
fn checked_spans(format: MrzFormat) -> &'static [(usize, usize, usize)] {
    match format {
        MrzFormat::Td3 => &[(1, 0, 10), (1, 13, 20), (1, 21, 44)],
        MrzFormat::Td2 => &[(1, 0, 10), (1, 13, 20), (1, 21, 36)],
        MrzFormat::Td1 => &[(0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 30)],
        MrzFormat::FrenchIdCard1988 => &[(0, 0, 36), (1, 0, 36)],
    }
}

/// The zone field a position belongs to, as repairs name it.
pub(crate) fn field_at(format: MrzFormat, line: usize, at: usize) -> &'static str {
    let fields = [
        (CheckedField::DocumentNumber, "document_number"),
        (CheckedField::BirthDate, "birth_date"),
        (CheckedField::ExpiryDate, "expiry_date"),
    ];
    for (field, name) in fields {
        if let Some((l, a, b)) = field_span(format, field)
            && l == line
            && (a..b).contains(&at)
        {
            return name;
        }
    }
    match (format, line, at) {
        (MrzFormat::FrenchIdCard1988, 0, 5..30) | (MrzFormat::FrenchIdCard1988, 1, 13..27) => {
            "names"
        }
        _ => "optional_data",
    }
}

impl Mrz {
    /// Every way of resolving the characters on which readings of one zone disagree that
    /// validates all check digits, each as the first reading with the others' characters.
    ///
    /// Only characters under a check digit are combined (those of the fields whose own check
    /// fails, when one does), and only those the readings disagree on: a character all
    /// readings agree on is never changed. `None` when fewer
    /// than two readings line up with the first one or when they disagree in too many places
    /// for check digits to settle.
    pub(crate) fn combinations(readings: &[&Mrz]) -> Option<Combinations> {
        let base = readings.first()?;
        let grid =
            |m: &Mrz| -> Vec<Vec<char>> { m.lines.iter().map(|l| l.chars().collect()).collect() };
        let base_lines = grid(base);
        let others: Vec<Vec<Vec<char>>> = readings[1..]
            .iter()
            .filter(|m| m.format == base.format)
            .map(|m| grid(m))
            .filter(|g| {
                g.len() == base_lines.len()
                    && g.iter().zip(&base_lines).all(|(a, b)| a.len() == b.len())
            })
            .collect();
        if others.is_empty() {
            return None;
        }
        // The fields whose own check fails in the first reading, else (only the composite
        // fails) everything the composite covers.
        let failing: Vec<(usize, usize, usize)> = base
            .checks
            .iter()
            .filter(|c| !c.valid && c.field != CheckedField::Composite)
            .filter_map(|c| field_span(base.format, c.field))
            .collect();
        let spans: &[(usize, usize, usize)] = if failing.is_empty() {
            checked_spans(base.format)
        } else {
            &failing
        };
        let mut positions: Vec<(usize, usize, Vec<char>)> = Vec::new();
        for &(l, a, b) in spans {
            for i in a..b {
                let mut choices = vec![base_lines[l][i]];
                for g in &others {
                    if !choices.contains(&g[l][i]) {
                        choices.push(g[l][i]);
                    }
                }
                if choices.len() > 1 {
                    positions.push((l, i, choices));
                }
            }
        }
        if positions.is_empty() || positions.len() > MAX_COMBINED_POSITIONS {
            return None;
        }
        let mut fields: Vec<CheckedField> = Vec::new();
        let mut decidable = true;
        for (l, i, choices) in &positions {
            if let Some(field) = reported_field(base.format, *l, *i) {
                decidable &= !fields.contains(&field) && one_confusion(choices);
                fields.push(field);
            }
        }
        let total: usize = positions.iter().map(|p| p.2.len()).product();
        let mut out = Vec::new();
        // Index 0 is the first reading itself, already judged on its own.
        for index in 1..total {
            let mut k = index;
            let mut lines = base_lines.clone();
            let mut changes = Vec::new();
            for (l, i, choices) in &positions {
                let c = choices[k % choices.len()];
                k /= choices.len();
                if c != lines[*l][*i] {
                    changes.push(Change {
                        field: field_at(base.format, *l, *i),
                        line: *l,
                        at: *i,
                        read: lines[*l][*i],
                        corrected: c,
                    });
                    lines[*l][*i] = c;
                }
            }
            let text: Vec<String> = lines.iter().map(|l| l.iter().collect()).collect();
            let refs: Vec<&str> = text.iter().map(String::as_str).collect();
            if let Some(m) = parse_as(base.format, &refs)
                && m.all_checks_valid()
            {
                out.push(Combination { mrz: m, changes });
            }
        }
        Some(Combinations {
            valid: out,
            decidable,
        })
    }
}

impl Mrz {
    /// This reading with the one `0`/`O` look-alike of its document number (`O`, `Q` or `D`
    /// for `0`, `0` for `O`) turned into the other, when that validates every check.
    ///
    /// For a number several readings read alike whose check digit fails: the readings agree
    /// on the glyph, and a letter/digit confusion is the one thing they cannot tell. A single
    /// such change never keeps a check digit (24 or 26 times a weight of 7, 3 or 1 is never a
    /// multiple of 10), so the check digit tests it. With two look-alikes or more in the
    /// number, more than one may be misread and one change validates by chance one time in
    /// ten per place: nothing is tried.
    pub(crate) fn zero_confusions(&self) -> Vec<(Mrz, Change)> {
        let Some((line, from, to)) = field_span(self.format, CheckedField::DocumentNumber) else {
            return Vec::new();
        };
        let look_alikes = self.lines[line].chars().skip(from).take(to - 1 - from);
        if look_alikes
            .filter(|c| matches!(c, 'O' | 'Q' | 'D' | '0'))
            .count()
            != 1
        {
            return Vec::new();
        }
        let mut out = Vec::new();
        // The field's own check digit (its last place) is a digit already.
        for at in from..to - 1 {
            let mut chars: Vec<char> = self.lines[line].chars().collect();
            let read = chars[at];
            let corrected = match read {
                'O' | 'Q' | 'D' => '0',
                '0' => 'O',
                _ => continue,
            };
            chars[at] = corrected;
            let mut lines = self.lines.clone();
            lines[line] = chars.into_iter().collect();
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            if let Some(m) = parse_as(self.format, &refs)
                && m.all_checks_valid()
            {
                let change = Change {
                    field: "document_number",
                    line,
                    at,
                    read,
                    corrected,
                };
                out.push((m, change));
            }
        }
        out
    }
}

impl Mrz {
    /// `lines` (this reading's, with characters changed) parsed in this reading's layout.
    pub(crate) fn reparse(&self, lines: &[String]) -> Option<Mrz> {
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        parse_as(self.format, &refs)
    }
}

/// The reported field (document number or a date) a position belongs to, with its check digit.
fn reported_field(format: MrzFormat, line: usize, at: usize) -> Option<CheckedField> {
    use CheckedField as F;
    [F::DocumentNumber, F::BirthDate, F::ExpiryDate]
        .into_iter()
        .find(|&f| field_span(format, f).is_some_and(|(l, a, b)| l == line && (a..b).contains(&at)))
}

/// The characters are all readings of one glyph under a known OCR confusion.
fn one_confusion(chars: &[char]) -> bool {
    let filler = |c: char| matches!(c, '<' | 'K' | 'L' | 'X');
    chars.iter().all(|&a| {
        chars.iter().all(|&b| {
            a == b
                || (filler(a) && filler(b))
                || digit_for(a).is_some_and(|d| digit_for(b) == Some(d))
        })
    })
}

fn score(m: &Mrz) -> (bool, usize, usize, i64) {
    let french = m.format == MrzFormat::FrenchIdCard1988 && m.issuing_state == "FRA";
    (
        m.all_checks_valid(),
        m.valid_check_count(),
        usize::from(french),
        -(m.repairs.len() as i64),
    )
}

/// Uppercases, drops spaces and maps look-alike filler glyphs to `<`.
fn clean_line(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '«' | '‹' | '≤' | '(' | '{' | '[' => '<',
            c => c.to_ascii_uppercase(),
        })
        .filter(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '<')
        .collect()
}

/// ICAO 9303 check digit; `None` when a character is outside `0-9A-Z<`.
pub fn check_digit(s: &str) -> Option<u8> {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let mut sum = 0u32;
    for (i, c) in s.chars().enumerate() {
        let v = char_value(c)?;
        sum += v * WEIGHTS[i % 3];
    }
    Some((sum % 10) as u8)
}

fn char_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        'A'..='Z' => Some(c as u32 - 'A' as u32 + 10),
        '<' => Some(0),
        _ => None,
    }
}

fn digit_for(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        'O' | 'D' | 'Q' | 'U' => Some('0'),
        'I' | 'L' | 'T' | 'J' => Some('1'),
        'Z' => Some('2'),
        'S' => Some('5'),
        'B' => Some('8'),
        'G' => Some('6'),
        'A' => Some('4'),
        _ => None,
    }
}

fn letter_for(c: char) -> Option<char> {
    match c {
        'A'..='Z' | '<' => Some(c),
        '0' => Some('O'),
        '1' => Some('I'),
        '2' => Some('Z'),
        '5' => Some('S'),
        '8' => Some('B'),
        '6' => Some('G'),
        '4' => Some('A'),
        '7' => Some('T'),
        _ => None,
    }
}

/// Fits an OCR line to its layout width by growing or shrinking its longest filler run.
fn fit_width(line: &str, width: usize) -> String {
    let mut chars: Vec<char> = line.chars().collect();
    while chars.len() != width {
        let run = longest_filler_run(&chars);
        if chars.len() > width {
            match run {
                Some((start, len)) if len > 0 => {
                    chars.remove(start);
                }
                _ => {
                    chars.pop();
                }
            }
        } else {
            match run {
                Some((start, _)) => chars.insert(start, '<'),
                None => chars.push('<'),
            }
        }
    }
    chars.into_iter().collect()
}

fn longest_filler_run(chars: &[char]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '<' {
            let start = i;
            while i < chars.len() && chars[i] == '<' {
                i += 1;
            }
            let len = i - start;
            if best.is_none_or(|(_, l)| len >= l) {
                best = Some((start, len));
            }
        } else {
            i += 1;
        }
    }
    best
}

/// `<` misread as K, L or X: one or two such letters between fillers (or before the end).
fn repair_isolated_fillers(line: &str) -> String {
    let mut chars: Vec<char> = line.chars().collect();
    let is_sus = |c: char| matches!(c, 'K' | 'L' | 'X');
    let mut i = 0;
    while i < chars.len() {
        if is_sus(chars[i]) && i > 0 && chars[i - 1] == '<' {
            let mut j = i;
            while j < chars.len() && is_sus(chars[j]) {
                j += 1;
            }
            let run = j - i;
            let right_ok = j == chars.len() || chars[j] == '<';
            // A filler run on the left of length ≥ 2 makes a real one-letter name implausible.
            let left_run = chars[..i].iter().rev().take_while(|c| **c == '<').count();
            if run <= 2 && right_ok && (left_run >= 2 || j == chars.len() || run == 1) {
                for c in &mut chars[i..j] {
                    *c = '<';
                }
            }
            i = j;
        } else {
            i += 1;
        }
    }
    chars.into_iter().collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Only digits (dates, check digits, card sequence numbers).
    Digits,
    /// Letters and fillers (states, nationality, document code, names).
    Alpha,
}

/// Working copy of the zone with its repairs.
struct Zone {
    lines: Vec<Vec<char>>,
    repairs: Vec<Repair>,
}

impl Zone {
    fn get(&self, line: usize, from: usize, to: usize) -> String {
        self.lines[line][from..to].iter().collect()
    }

    /// Coerces characters to the field's class, recording unconfirmed repairs.
    fn coerce(&mut self, line: usize, from: usize, to: usize, kind: Kind, name: &str) {
        for i in from..to {
            let c = self.lines[line][i];
            let fixed = match kind {
                Kind::Digits => digit_for(c),
                Kind::Alpha => letter_for(c),
            };
            if let Some(f) = fixed
                && f != c
            {
                self.lines[line][i] = f;
                self.repairs.push(Repair {
                    field: name.to_owned(),
                    read: c,
                    corrected: f,
                    confirmed_by_check_digit: false,
                    supported_by: Vec::new(),
                    by_shape: false,
                });
            }
        }
    }

    /// Coerces a digits field and marks its repairs confirmed when the check digit validates.
    fn digits_with_check(&mut self, line: usize, from: usize, to: usize, cd: usize, name: &str) {
        let before = self.repairs.len();
        self.coerce(line, from, to, Kind::Digits, name);
        self.coerce_check_char(line, cd, name);
        if self.check(&[(line, from, to)], line, cd) {
            for r in &mut self.repairs[before..] {
                r.confirmed_by_check_digit = true;
            }
        }
    }

    fn coerce_check_char(&mut self, line: usize, cd: usize, name: &str) {
        let c = self.lines[line][cd];
        if c != '<'
            && let Some(d) = digit_for(c)
            && d != c
        {
            self.lines[line][cd] = d;
            self.repairs.push(Repair {
                field: name.to_owned(),
                read: c,
                corrected: d,
                confirmed_by_check_digit: false,
                supported_by: Vec::new(),
                by_shape: false,
            });
        }
    }

    /// Six digits at `line[from..]` form a calendar date (YYMMDD); a date field that is not
    /// one was misaligned, whatever its check digit says.
    fn is_date(&self, line: usize, from: usize) -> bool {
        parse_date(&self.get(line, from, from + 6), DateKind::Expiry, None).is_some()
    }

    fn check(&self, spans: &[(usize, usize, usize)], line: usize, cd: usize) -> bool {
        let data: String = spans.iter().map(|&(l, a, b)| self.get(l, a, b)).collect();
        let expected = self.lines[line][cd];
        let Some(d) = check_digit(&data) else {
            return false;
        };
        match expected {
            '<' => d == 0,
            c => c.to_digit(10) == Some(u32::from(d)),
        }
    }
}

/// An optional-data field that is mostly fillers is all fillers: its K, L and X are `<`
/// misread (the composite check digit confirms or refutes this).
fn clean_filler_field(z: &mut Zone, line: usize, from: usize, to: usize) {
    let fillers = z.lines[line][from..to]
        .iter()
        .filter(|&&c| c == '<')
        .count();
    if fillers * 2 < to - from {
        return;
    }
    for k in from..to {
        let c = z.lines[line][k];
        if matches!(c, 'K' | 'L' | 'X') {
            z.repairs.push(Repair {
                field: "filler".to_owned(),
                read: c,
                corrected: '<',
                confirmed_by_check_digit: false,
                supported_by: Vec::new(),
                by_shape: false,
            });
            z.lines[line][k] = '<';
        }
    }
}

/// In a names field, a "word" made only of K, L and X is a run of misread fillers.
fn clean_name_field(z: &mut Zone, line: usize, from: usize, to: usize) {
    let mut i = from;
    while i < to {
        if z.lines[line][i] == '<' {
            i += 1;
            continue;
        }
        let start = i;
        while i < to && z.lines[line][i] != '<' {
            i += 1;
        }
        let word = &z.lines[line][start..i];
        let only_fillers = word.iter().all(|c| matches!(c, 'K' | 'L' | 'X'));
        // A real name starts right after the document code or after a `<` separator; a lone
        // K/L/X word after the first name is a filler (ICAO names carry no initials).
        if only_fillers && start > from + 1 {
            for k in start..i {
                z.repairs.push(Repair {
                    field: "filler".to_owned(),
                    read: z.lines[line][k],
                    corrected: '<',
                    confirmed_by_check_digit: false,
                    supported_by: Vec::new(),
                    by_shape: false,
                });
                z.lines[line][k] = '<';
            }
        }
    }
}

fn prepare(format: MrzFormat, raw: &[&str]) -> Zone {
    let (_, width) = format.shape();
    let mut repairs = Vec::new();
    let lines = raw
        .iter()
        .map(|l| {
            let fixed = repair_isolated_fillers(l);
            for (read, corrected) in l.chars().zip(fixed.chars()).filter(|(a, b)| a != b) {
                repairs.push(Repair {
                    field: "filler".to_owned(),
                    read,
                    corrected,
                    confirmed_by_check_digit: false,
                    supported_by: Vec::new(),
                    by_shape: false,
                });
            }
            fit_width(&fixed, width).chars().collect()
        })
        .collect();
    Zone { lines, repairs }
}

fn parse_as(format: MrzFormat, raw: &[&str]) -> Option<Mrz> {
    match format {
        MrzFormat::Td3 => parse_icao(format, raw),
        MrzFormat::Td2 => parse_icao(format, raw),
        MrzFormat::Td1 => parse_td1(raw),
        MrzFormat::FrenchIdCard1988 => parse_french(raw),
    }
}

/// TD3 and TD2 share their line-2 structure; only the widths differ.
fn parse_icao(format: MrzFormat, raw: &[&str]) -> Option<Mrz> {
    let mut z = prepare(format, raw);
    let w = format.shape().1;
    z.coerce(0, 0, 5, Kind::Alpha, "document_code");
    if !matches!(z.lines[0][0], 'P' | 'I' | 'A' | 'C' | 'V') {
        return None;
    }
    if format == MrzFormat::Td3 && !matches!(z.lines[0][0], 'P' | 'V') {
        return None;
    }
    // Machine-readable visas (MRV-A, MRV-B) have neither a personal-number check digit nor a
    // composite.
    let visa = z.lines[0][0] == 'V';
    z.coerce(0, 5, w, Kind::Alpha, "names");
    clean_name_field(&mut z, 0, 5, w);
    z.coerce(1, 10, 13, Kind::Alpha, "nationality");
    z.digits_with_check(1, 13, 19, 19, "birth_date");
    z.digits_with_check(1, 21, 27, 27, "expiry_date");
    z.coerce_check_char(1, 9, "document_number");
    let doc = [(1, 0, 9)];
    let (opt_end, has_personal_cd) = if format == MrzFormat::Td3 && !visa {
        (42, true)
    } else {
        (35, false)
    };
    clean_filler_field(
        &mut z,
        1,
        28,
        if format == MrzFormat::Td3 { 42 } else { 35 },
    );
    if has_personal_cd {
        z.coerce_check_char(1, 42, "personal_number");
    }
    let comp: Vec<(usize, usize, usize)> = vec![(1, 0, 10), (1, 13, 20), (1, 21, opt_end + 1)];
    let comp = if format == MrzFormat::Td2 {
        vec![(1, 0, 10), (1, 13, 20), (1, 21, 35)]
    } else {
        comp
    };
    let composite_at = w - 1;
    if !visa {
        z.coerce_check_char(1, composite_at, "composite");
    }
    let mut checks = vec![
        CheckDigit {
            field: CheckedField::DocumentNumber,
            valid: z.check(&doc, 1, 9),
        },
        CheckDigit {
            field: CheckedField::BirthDate,
            valid: z.check(&[(1, 13, 19)], 1, 19) && z.is_date(1, 13),
        },
        CheckDigit {
            field: CheckedField::ExpiryDate,
            valid: z.check(&[(1, 21, 27)], 1, 27) && z.is_date(1, 21),
        },
    ];
    if has_personal_cd {
        checks.push(CheckDigit {
            field: CheckedField::PersonalNumber,
            valid: z.check(&[(1, 28, 42)], 1, 42),
        });
    }
    if !visa {
        checks.push(CheckDigit {
            field: CheckedField::Composite,
            valid: z.check(&comp, 1, composite_at),
        });
    }
    let expiry = parse_date(&z.get(1, 21, 27), DateKind::Expiry, None);
    let birth = parse_date(&z.get(1, 13, 19), DateKind::Birth, expiry);
    let (surname, given_names) = split_names(&z.get(0, 5, w));
    let names_clean = names_clean(&z.get(0, 2, w));
    Some(Mrz {
        names_clean,
        format,
        document_code: z.get(0, 0, 2).trim_end_matches('<').to_owned(),
        issuing_state: z.get(0, 2, 5).replace('<', ""),
        surname,
        given_names,
        document_number: z.get(1, 0, 9).trim_end_matches('<').to_owned(),
        nationality: z.get(1, 10, 13).replace('<', ""),
        birth_date: birth,
        sex: parse_sex(z.lines[1][20]),
        expiry_date: expiry,
        french_card: None,
        checks,
        repairs: z.repairs.clone(),
        realigned: false,
        lines: z.lines.iter().map(|l| l.iter().collect()).collect(),
    })
}

fn parse_td1(raw: &[&str]) -> Option<Mrz> {
    let mut z = prepare(MrzFormat::Td1, raw);
    z.coerce(0, 0, 5, Kind::Alpha, "document_code");
    if !matches!(z.lines[0][0], 'I' | 'A' | 'C') {
        return None;
    }
    z.coerce(2, 0, 30, Kind::Alpha, "names");
    clean_name_field(&mut z, 2, 0, 30);
    z.coerce(1, 15, 18, Kind::Alpha, "nationality");
    z.digits_with_check(1, 0, 6, 6, "birth_date");
    z.digits_with_check(1, 8, 14, 14, "expiry_date");
    z.coerce_check_char(0, 14, "document_number");
    let doc = [(0, 5, 14)];
    clean_filler_field(&mut z, 0, 15, 30);
    clean_filler_field(&mut z, 1, 18, 29);
    let comp = [(0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)];
    z.coerce_check_char(1, 29, "composite");
    let checks = vec![
        CheckDigit {
            field: CheckedField::DocumentNumber,
            valid: z.check(&doc, 0, 14),
        },
        CheckDigit {
            field: CheckedField::BirthDate,
            valid: z.check(&[(1, 0, 6)], 1, 6) && z.is_date(1, 0),
        },
        CheckDigit {
            field: CheckedField::ExpiryDate,
            valid: z.check(&[(1, 8, 14)], 1, 14) && z.is_date(1, 8),
        },
        CheckDigit {
            field: CheckedField::Composite,
            valid: z.check(&comp, 1, 29),
        },
    ];
    let expiry = parse_date(&z.get(1, 8, 14), DateKind::Expiry, None);
    let birth = parse_date(&z.get(1, 0, 6), DateKind::Birth, expiry);
    let (surname, given_names) = split_names(&z.get(2, 0, 30));
    let names_clean = names_clean(&z.get(2, 0, 30));
    Some(Mrz {
        names_clean,
        format: MrzFormat::Td1,
        document_code: z.get(0, 0, 2).trim_end_matches('<').to_owned(),
        issuing_state: z.get(0, 2, 5).replace('<', ""),
        surname,
        given_names,
        document_number: z.get(0, 5, 14).trim_end_matches('<').to_owned(),
        nationality: z.get(1, 15, 18).replace('<', ""),
        birth_date: birth,
        sex: parse_sex(z.lines[1][7]),
        expiry_date: expiry,
        french_card: None,
        checks,
        repairs: z.repairs.clone(),
        realigned: false,
        lines: z.lines.iter().map(|l| l.iter().collect()).collect(),
    })
}

fn parse_french(raw: &[&str]) -> Option<Mrz> {
    let mut z = prepare(MrzFormat::FrenchIdCard1988, raw);
    z.coerce(0, 0, 30, Kind::Alpha, "names");
    if z.get(0, 0, 2) != "ID" {
        return None;
    }
    z.coerce(1, 13, 27, Kind::Alpha, "names");
    clean_name_field(&mut z, 0, 5, 30);
    clean_name_field(&mut z, 1, 13, 27);
    z.coerce(1, 0, 4, Kind::Digits, "document_number");
    z.coerce(1, 7, 12, Kind::Digits, "document_number");
    z.coerce_check_char(1, 12, "document_number");
    let doc = [(1, 0, 12)];
    if z.check(&doc, 1, 12) {
        for r in z
            .repairs
            .iter_mut()
            .filter(|r| r.field == "document_number")
        {
            r.confirmed_by_check_digit = true;
        }
    }
    z.digits_with_check(1, 27, 33, 33, "birth_date");
    let comp = [(0, 0, 36), (1, 0, 35)];
    z.coerce_check_char(1, 35, "composite");
    let checks = vec![
        CheckDigit {
            field: CheckedField::DocumentNumber,
            valid: z.check(&doc, 1, 12),
        },
        CheckDigit {
            field: CheckedField::BirthDate,
            valid: z.check(&[(1, 27, 33)], 1, 33) && z.is_date(1, 27),
        },
        CheckDigit {
            field: CheckedField::Composite,
            valid: z.check(&comp, 1, 35),
        },
    ];
    let yy: i32 = z.get(1, 0, 2).parse().ok()?;
    let mm: u32 = z.get(1, 2, 4).parse().ok()?;
    let issue_year = if yy >= 88 { 1900 + yy } else { 2000 + yy };
    let issue = NaiveDate::from_ymd_opt(issue_year, mm.clamp(1, 12), 1);
    let birth = parse_date(&z.get(1, 27, 33), DateKind::Birth, issue);
    let surname = z.get(0, 5, 30).trim_end_matches('<').replace('<', " ");
    let given_names = z
        .get(1, 13, 27)
        .split("<<")
        .map(|g| g.trim_matches('<').replace('<', " "))
        .filter(|g| !g.is_empty())
        .collect();
    Some(Mrz {
        // The composite covers the names of this card.
        names_clean: true,
        format: MrzFormat::FrenchIdCard1988,
        document_code: "ID".to_owned(),
        issuing_state: "FRA".to_owned(),
        surname,
        given_names,
        document_number: z.get(1, 0, 12),
        nationality: "FRA".to_owned(),
        birth_date: birth,
        sex: parse_sex(z.lines[1][34]),
        expiry_date: None,
        french_card: Some(FrenchCardIssue {
            issue_year,
            issue_month: mm,
            department: z.get(1, 4, 7),
        }),
        checks,
        repairs: z.repairs.clone(),
        realigned: false,
        lines: z.lines.iter().map(|l| l.iter().collect()).collect(),
    })
}

/// Letters and single fillers, then only fillers once a run of three fillers starts.
fn names_clean(field: &str) -> bool {
    match field.find("<<<") {
        Some(i) => field[i..].chars().all(|c| c == '<'),
        None => true,
    }
}

fn parse_sex(c: char) -> Sex {
    match c {
        'F' => Sex::Female,
        'M' => Sex::Male,
        _ => Sex::Unspecified,
    }
}

/// ICAO names: surname, `<<`, given names separated by `<`.
fn split_names(field: &str) -> (String, Vec<String>) {
    let field = field.trim_end_matches('<');
    let (surname, given) = field.split_once("<<").unwrap_or((field, ""));
    let given = given
        .split('<')
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect();
    (surname.replace('<', " "), given)
}

#[derive(Clone, Copy)]
enum DateKind {
    Birth,
    Expiry,
}

/// YYMMDD to a date; a birth date takes the latest century not after `not_after`.
fn parse_date(s: &str, kind: DateKind, not_after: Option<NaiveDate>) -> Option<NaiveDate> {
    if s.len() != 6 || !s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let yy: i32 = s[0..2].parse().ok()?;
    let mm: u32 = s[2..4].parse().ok()?;
    let dd: u32 = s[4..6].parse().ok()?;
    let year = match kind {
        DateKind::Expiry => {
            if yy >= 70 {
                1900 + yy
            } else {
                2000 + yy
            }
        }
        DateKind::Birth => {
            let limit = not_after.map_or(2099, |d| d.year());
            if 2000 + yy <= limit {
                2000 + yy
            } else {
                1900 + yy
            }
        }
    };
    NaiveDate::from_ymd_opt(year, mm, dd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_match_the_icao_example() {
        assert_eq!(check_digit("L898902C3"), Some(6));
        assert_eq!(check_digit("740812"), Some(2));
        assert_eq!(check_digit("120415"), Some(9));
        assert_eq!(check_digit("a"), None);
    }

    #[test]
    fn a_line_too_short_is_padded_in_its_longest_filler_run() {
        assert_eq!(fit_width("AB<<CD", 8), "AB<<<<CD");
        assert_eq!(fit_width("AB<<<<<CD", 6), "AB<<CD");
    }

    #[test]
    fn fillers_read_as_k_are_restored_between_fillers_only() {
        assert_eq!(repair_isolated_fillers("ANNA<<<K<<<"), "ANNA<<<<<<<");
        assert_eq!(repair_isolated_fillers("ALEX<<<<"), "ALEX<<<<");
        assert_eq!(repair_isolated_fillers("ANNA<KLAUS"), "ANNA<KLAUS");
    }

    #[test]
    fn a_zone_seen_to_be_36_wide_is_read_in_a_layout_of_that_width_only() {
        let visa = "VCPOLKOWALSKA<KWIATKOWSKA<<BEATA<<<<\nPL00000008POL6002084F0505011<<<<<<<<";
        let m = Mrz::parse_shaped(visa, Some((2, 36))).expect("a zone");
        assert_eq!(m.format, MrzFormat::Td2);
        assert_eq!(m.document_number, "PL0000000");
        assert!(m.all_checks_valid());
        let wide = Mrz::parse_shaped(visa, Some((2, 44)));
        assert!(wide.is_ok_and(|m| m.format == MrzFormat::Td3));
        assert!(Mrz::parse_shaped(visa, Some((3, 30))).is_err());
    }
}

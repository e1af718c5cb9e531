//! Populations by single year of age, from ONS mid-year estimates (`data/population/`),
//! and the age bands metric denominators take from them.
//!
//! A file either gives a population's ages (0 to 89, then 90 and over) with its source,
//! or scales another file's age structure to a stated total (the demo's fictional place),
//! each age rounded by largest remainder so the ages add up to the total exactly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The population files shipped with onebudget, as (file name, contents).
pub const EMBEDDED_FILES: &[(&str, &str)] = &[
    ("england-mid-2023.yaml", include_str!("../../../../../data/population/england-mid-2023.yaml")),
    ("ashby-vale.yaml", include_str!("../../../../../data/population/ashby-vale.yaml")),
];

/// Single years 0..=89, then 90 and over.
pub const AGES: usize = 91;

/// An age band in whole years: `min` to `max` inclusive, no upper bound when `max` is
/// `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AgeBand {
    pub min: u8,
    pub max: Option<u8>,
}

impl AgeBand {
    /// Every age, including unknown.
    pub const ALL: AgeBand = AgeBand { min: 0, max: None };

    pub fn contains(self, age: u8) -> bool {
        age >= self.min && self.max.is_none_or(|max| age <= max)
    }

    /// Whether an event of unknown age counts: only in a band that holds every age.
    pub fn admits_unknown(self) -> bool {
        self == AgeBand::ALL
    }
}

impl std::fmt::Display for AgeBand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.min, self.max) {
            (0, None) => f.write_str("all ages"),
            (min, None) => write!(f, "{min}+"),
            (min, Some(max)) => write!(f, "{min}-{max}"),
        }
    }
}

/// Where a population's figures come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSource {
    pub title: String,
    pub href: String,
    pub released: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_through: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PopulationInput {
    id: String,
    name: String,
    #[serde(default)]
    area_code: Option<String>,
    mid_year: i32,
    #[serde(default)]
    source: Option<PopulationSource>,
    #[serde(default)]
    single_years: Option<Vec<Vec<u64>>>,
    #[serde(default)]
    aged_90_and_over: Option<u64>,
    #[serde(default)]
    scaled_from: Option<String>,
    #[serde(default)]
    total: Option<u64>,
}

/// One population by single year of age.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Population {
    pub id: String,
    pub name: String,
    /// The ONS area code, where the place is real.
    pub area_code: Option<String>,
    pub mid_year: i32,
    /// Its source, or for a scaled population the source of the one it is scaled from.
    pub source: PopulationSource,
    /// The population it was scaled from, if any.
    pub scaled_from: Option<String>,
    /// People aged 0..=89, then 90 and over.
    #[serde(skip)]
    pub ages: [u64; AGES],
}

impl Population {
    /// People in the band.
    pub fn in_band(&self, band: AgeBand) -> u64 {
        let last = band.max.map_or(AGES - 1, |m| usize::from(m).min(AGES - 1));
        self.ages.iter().take(last + 1).skip(usize::from(band.min)).sum()
    }

    pub fn total(&self) -> u64 {
        self.ages.iter().sum()
    }
}

/// Why a population file was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {field}: {problem}")]
pub struct PopulationFileError {
    pub file: String,
    pub field: String,
    pub problem: String,
}

/// The populations held, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Populations {
    by_id: BTreeMap<String, Population>,
}

impl Populations {
    pub fn embedded() -> Result<Populations, PopulationFileError> {
        Populations::parse(EMBEDDED_FILES)
    }

    /// Parse population files; a scaled population may name one given earlier or later.
    pub fn parse(files: &[(&str, &str)]) -> Result<Populations, PopulationFileError> {
        let mut inputs = Vec::new();
        for (file, text) in files {
            let error = |field: &str, problem: String| PopulationFileError {
                file: (*file).to_owned(),
                field: field.to_owned(),
                problem,
            };
            let input: PopulationInput = serde_yaml_ng::from_str(text)
                .map_err(|e| error("(file)", format!("not a population file: {e}")))?;
            inputs.push((*file, input));
        }
        let mut by_id = BTreeMap::new();
        // Populations given by age first, then those scaled from them.
        for (file, input) in inputs.iter().filter(|(_, i)| i.scaled_from.is_none()) {
            let error = |field: &str, problem: &str| PopulationFileError {
                file: (*file).to_owned(),
                field: field.to_owned(),
                problem: problem.to_owned(),
            };
            let source = input
                .source
                .clone()
                .ok_or_else(|| error("source", "a population gives its source"))?;
            let years: Vec<u64> = input.single_years.iter().flatten().flatten().copied().collect();
            let old = input
                .aged_90_and_over
                .ok_or_else(|| error("aged_90_and_over", "give the people aged 90 and over"))?;
            if years.len() != AGES - 1 {
                return Err(error(
                    "single_years",
                    &format!(
                        "give 90 single years of age, 0 to 89; this file gives {}",
                        years.len()
                    ),
                ));
            }
            let mut ages = [0_u64; AGES];
            for (slot, value) in ages.iter_mut().zip(years.iter().chain(std::iter::once(&old))) {
                *slot = *value;
            }
            insert(
                &mut by_id,
                file,
                Population {
                    id: input.id.clone(),
                    name: input.name.clone(),
                    area_code: input.area_code.clone(),
                    mid_year: input.mid_year,
                    source,
                    scaled_from: None,
                    ages,
                },
            )?;
        }
        for (file, input) in inputs.iter().filter(|(_, i)| i.scaled_from.is_some()) {
            let error = |field: &str, problem: String| PopulationFileError {
                file: (*file).to_owned(),
                field: field.to_owned(),
                problem,
            };
            let from = input.scaled_from.clone().unwrap_or_default();
            let base: &Population = by_id.get(&from).ok_or_else(|| {
                error("scaled_from", format!("no population {from:?} is held to scale from"))
            })?;
            let total = input.total.filter(|t| (1..=100_000_000).contains(t)).ok_or_else(|| {
                error("total", "give the total to scale to, 1 to 100,000,000".into())
            })?;
            if input.single_years.is_some() || input.source.is_some() {
                return Err(error(
                    "scaled_from",
                    "a scaled population takes its ages and source from the one it is scaled from"
                        .into(),
                ));
            }
            let ages = scale(&base.ages, total);
            let population = Population {
                id: input.id.clone(),
                name: input.name.clone(),
                area_code: input.area_code.clone(),
                mid_year: input.mid_year,
                source: base.source.clone(),
                scaled_from: Some(from),
                ages,
            };
            insert(&mut by_id, file, population)?;
        }
        Ok(Populations { by_id })
    }

    pub fn get(&self, id: &str) -> Option<&Population> {
        self.by_id.get(id)
    }

    pub fn ids(&self) -> Vec<&str> {
        self.by_id.keys().map(String::as_str).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Population> {
        self.by_id.values()
    }
}

fn insert(
    by_id: &mut BTreeMap<String, Population>,
    file: &str,
    population: Population,
) -> Result<(), PopulationFileError> {
    if population.id.is_empty() || by_id.contains_key(&population.id) {
        return Err(PopulationFileError {
            file: file.to_owned(),
            field: "id".into(),
            problem: format!("the id {:?} is empty or already used", population.id),
        });
    }
    by_id.insert(population.id.clone(), population);
    Ok(())
}

/// `ages` scaled to `total`, largest remainder: each age gets the whole part of its share,
/// and the people left over go one each to the ages with the largest remainders (ties to
/// the younger age).
fn scale(ages: &[u64; AGES], total: u64) -> [u64; AGES] {
    let base: u128 = ages.iter().map(|&a| u128::from(a)).sum();
    let mut out = [0_u64; AGES];
    if base == 0 {
        return out;
    }
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(AGES);
    let mut given: u64 = 0;
    for (index, (slot, &people)) in out.iter_mut().zip(ages.iter()).enumerate() {
        let exact = u128::from(people) * u128::from(total);
        *slot = u64::try_from(exact / base).unwrap_or(0);
        given += *slot;
        remainders.push((exact % base, index));
    }
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, index) in remainders.iter().take(usize::try_from(total - given).unwrap_or(0)) {
        if let Some(slot) = out.get_mut(index) {
            *slot += 1;
        }
    }
    out
}

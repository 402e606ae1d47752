//! "Did you mean" suggestions by edit distance.

/// Returns the candidate closest to `name`, compared case-insensitively, when it is close
/// enough to be a plausible typo: at most 1 edit for names up to 4 characters, 2 up to 8,
/// 3 beyond.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = match name.chars().count() {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let lower = name.to_ascii_lowercase();
    candidates
        .map(|candidate| (edit_distance(&lower, &candidate.to_ascii_lowercase()), candidate))
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = i;
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX - 1);
            let left = row.get(j).copied().unwrap_or(usize::MAX - 1);
            diagonal = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = substitution.min(left + 1).min(above + 1);
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typo() {
        let names = ["USER_LOGIN", "USER_LOGOUT", "NETWORK_HTTP"];
        assert_eq!(closest("USER_LOGN", names.into_iter()), Some("USER_LOGIN"));
        assert_eq!(closest("login", names.into_iter()), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}

//! onebudget-sim: population microsimulation for policy scenarios ("what would
//! abolishing the social care means test cost?"), run over columnar synthetic or real
//! populations with `onebudget-core`'s own rules, so a scenario and a live budget can
//! never disagree about the rules. Nothing is here yet: the scenarios issue builds it.

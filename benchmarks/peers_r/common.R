# Shared by the R peers' scripts (benchmarks/peers.py runs them): read the reference model's numbers,
# time a call, print results in the lines peers.py parses.
# UNTESTED HERE: written on a machine without R; peers.py runs these only where Rscript and the
# package load, and checks every answer against the closed form (a wrong script shows as FAIL).
#
# usage: Rscript <tool>_reference.R INPUTS.csv TASK PSA_SAMPLES PEOPLE REPEAT
#   INPUTS.csv: name,value lines written by peers.py (write_r_inputs) from benchmarks/reference_5state.yaml
#   TASK: all | deterministic | psa | microsim

args <- commandArgs(trailingOnly = TRUE)
inputs <- read.csv(args[1], stringsAsFactors = FALSE)
v <- setNames(inputs$value, inputs$name)
task <- args[2]
psa_samples <- as.integer(args[3])
people <- as.integer(args[4])
n_repeat <- as.integer(args[5])
states <- c("E", "A", "D", "U", "X")
alive <- states[1:4]
strategies <- c("usual", "intervention")
months <- as.integer(v[["months"]])
cycle_years <- v[["cycle_years"]]

# monthly matrix of the YAML's point values (rows from, columns to)
point_matrix <- function() {
  P <- matrix(0, 5, 5, dimnames = list(states, states))
  for (s in alive) for (t in states) P[s, t] <- v[[paste0("p_", s, "_", t)]]
  P["X", "X"] <- 1
  P
}
alpha_matrix <- function() {
  a <- matrix(0, 4, 5, dimnames = list(alive, states))
  for (s in alive) for (t in states) a[s, t] <- v[[paste0("alpha_", s, "_", t)]]
  a
}
named <- function(prefix) setNames(sapply(alive, function(s) v[[paste0(prefix, s)]]), alive)

# best of n_repeat: the engine call only
timed <- function(label, fun) {
  times <- numeric(0)
  out <- NULL
  for (i in seq_len(max(1, n_repeat))) {
    t0 <- proc.time()[["elapsed"]]
    out <- fun()
    times <- c(times, proc.time()[["elapsed"]] - t0)
    if (times[length(times)] > 20) break
  }
  cat(sprintf("SECONDS %s %s\n", label, paste(sprintf("%.6f", c(min(times), times)), collapse = " ")))
  out
}

# RESULT task metric strategy mean se
report <- function(label, metric, strategy, x) {
  se <- if (length(x) > 1) sd(x) / sqrt(length(x)) else 0
  cat(sprintf("RESULT %s %s %s %.17g %.17g\n", label, metric, strategy, mean(x), se))
}

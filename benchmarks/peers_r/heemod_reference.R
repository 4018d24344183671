# heemod (R) on the reference model: deterministic cohort and cohort PSA (heemod has no microsimulation).
# UNTESTED HERE (no R on the machine this was written on); see common.R.
# Conventions set equal to ipsecon's: method = "end" (occupancy at the end of each month) and
# discount(x, 0.04, first = TRUE, period = 12, linear = TRUE), i.e. month t at 1.04^(-t/12)
# (heemod's default, first = FALSE and trunc(), would discount by whole years from the second cycle).
suppressMessages(library(heemod))
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))

P <- point_matrix()
pars <- list()
for (s in alive) for (t in states) pars[[paste0("p_", s, "_", t)]] <- P[s, t]
for (s in alive) {
  pars[[paste0("c_", s)]] <- v[[paste0("cost_", s)]]
  pars[[paste0("u_", s)]] <- v[[paste0("utility_", s)]]
}
pars$rr <- v[["rr"]]
pars$c_int <- v[["cost_int"]]
pars$dr <- v[["discount"]]
pars$rr_now <- quote(dispatch_strategy(usual = 1, intervention = rr))
pars$c_int_now <- quote(dispatch_strategy(usual = 0, intervention = c_int))
param <- do.call(define_parameters, pars)

# the intervention: A->E x rr, staying in A the complement (C)
mat <- define_transition(
  state_names = states,
  p_E_E, p_E_A, p_E_D, p_E_U, p_E_X,
  p_A_E * rr_now, C, p_A_D, p_A_U, p_A_X,
  p_D_E, p_D_A, p_D_D, p_D_U, p_D_X,
  p_U_E, p_U_A, p_U_D, p_U_U, p_U_X,
  0, 0, 0, 0, 1
)
# E's row is given in full (its staying probability is a parameter that the PSA draws too).
# Each state written out: define_state captures its expressions unevaluated (c_E is a heemod parameter).
strat <- function() define_strategy(
  transition = mat,
  E = define_state(cost = discount(c_E, dr, first = TRUE, period = 12, linear = TRUE),
                   qaly = discount(u_E / 12, dr, first = TRUE, period = 12, linear = TRUE)),
  A = define_state(cost = discount(c_A + c_int_now, dr, first = TRUE, period = 12, linear = TRUE),
                   qaly = discount(u_A / 12, dr, first = TRUE, period = 12, linear = TRUE)),
  D = define_state(cost = discount(c_D, dr, first = TRUE, period = 12, linear = TRUE),
                   qaly = discount(u_D / 12, dr, first = TRUE, period = 12, linear = TRUE)),
  U = define_state(cost = discount(c_U, dr, first = TRUE, period = 12, linear = TRUE),
                   qaly = discount(u_U / 12, dr, first = TRUE, period = 12, linear = TRUE)),
  X = define_state(cost = 0, qaly = 0))
run <- function() run_model(usual = strat(), intervention = strat(), parameters = param,
                            init = c(1, 0, 0, 0, 0), cycles = months, method = "end", cost = cost, effect = qaly)

if (task %in% c("all", "deterministic")) {
  res <- timed("deterministic", run)
  tot <- res$run_model
  for (s in strategies) {
    report("deterministic", "cost", s, tot$cost[tot$.strategy_names == s])
    report("deterministic", "qalys", s, tot$qaly[tot$.strategy_names == s])
  }
}
if (task %in% c("all", "psa") && psa_samples > 0) {
  a <- alpha_matrix()
  d <- list()
  for (s in alive) {
    lhs <- paste(paste0("p_", s, "_", states), collapse = " + ")
    d[[length(d) + 1]] <- as.formula(sprintf("%s ~ multinomial(%s)", lhs, paste(a[s, ], collapse = ", ")))
    d[[length(d) + 1]] <- as.formula(sprintf("c_%s ~ gamma(mean = %.17g, sd = %.17g)", s,
                                             v[[paste0("cost_mean_", s)]], v[[paste0("cost_sd_", s)]]))
    m <- v[[paste0("utility_mean_", s)]]; sdv <- v[[paste0("utility_sd_", s)]]
    k <- m * (1 - m) / sdv^2 - 1
    d[[length(d) + 1]] <- as.formula(sprintf("u_%s ~ beta(shape1 = %.17g, shape2 = %.17g)", s, m * k, (1 - m) * k))
  }
  d[[length(d) + 1]] <- as.formula(sprintf("rr ~ lognormal(meanlog = %.17g, sdlog = %.17g)",
                                           v[["rr_meanlog"]], v[["rr_sdlog"]]))
  d[[length(d) + 1]] <- as.formula(sprintf("c_int ~ gamma(mean = %.17g, sd = %.17g)",
                                           v[["cost_int_mean"]], v[["cost_int_sd"]]))
  psa_def <- do.call(define_psa, d)
  base <- run()
  set.seed(11)
  psa <- timed("psa", function() run_psa(base, psa = psa_def, N = psa_samples))
  r <- psa$psa
  cost <- sapply(strategies, function(s) r$cost[r$.strategy_names == s])
  qaly <- sapply(strategies, function(s) r$qaly[r$.strategy_names == s])
  for (j in 1:2) {
    report("psa", "cost", strategies[j], cost[, j])
    report("psa", "qalys", strategies[j], qaly[, j])
  }
  report("psa", "cost", "incremental", cost[, 2] - cost[, 1])
  report("psa", "qalys", "incremental", qaly[, 2] - qaly[, 1])
}

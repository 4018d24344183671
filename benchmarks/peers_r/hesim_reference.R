# hesim (R) on the reference model: deterministic cohort and cohort PSA (CohortDtstm), and an
# individual-level simulation of PEOPLE people (IndivCtstm).
# UNTESTED HERE (no R on the machine this was written on); see common.R.
# Conventions: the cohort is set equal to ipsecon's (cycle_length 1/12, integrate_method = "riemann_right":
# occupancy at the end of each month; hesim discounts by exp(-dr t), so dr = log(1.04); rewards are annual
# rates: 12 x the monthly cost, utility per year). hesim's individual-level model is continuous-time: its
# exponential rates are the generator G = logm(P) / (1/12) that peers.py computes (same occupancy at whole
# months), and hesim integrates rewards continuously; peers.py compares it with the continuous-time
# closed form (exact_continuous).
suppressMessages({library(hesim); library(data.table)})
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))

dr <- log(1 + v[["discount"]])
hesim_dat <- hesim_data(
  strategies = data.table(strategy_id = 1:2, strategy_name = strategies),
  patients = data.table(patient_id = 1),
  states = data.table(state_id = 1:4, state_name = alive))
input_data <- expand(hesim_dat, by = c("strategies", "patients"))

params <- list(alpha = alpha_matrix(), P = point_matrix()[alive, ], rr_meanlog = v[["rr_meanlog"]],
               rr_sdlog = v[["rr_sdlog"]], rr = v[["rr"]], c_int = v[["cost_int"]],
               cost = named("cost_"), cost_mean = named("cost_mean_"), cost_sd = named("cost_sd_"),
               utility = named("utility_"), utility_mean = named("utility_mean_"), utility_sd = named("utility_sd_"),
               cost_int_mean = v[["cost_int_mean"]], cost_int_sd = v[["cost_int_sd"]])
flat <- function(M) setNames(c(t(M)), c(t(outer(rownames(M), paste0("_", colnames(M)), paste0))))

tparams_def <- define_tparams({
  rr_now <- ifelse(strategy_name == "intervention", rr, 1)
  int <- as.numeric(strategy_name == "intervention")
  list(
    tpmatrix = tpmatrix(
      C,             p$E_A, p$E_D, p$E_U, p$E_X,
      p$A_E * rr_now, C,    p$A_D, p$A_U, p$A_X,
      p$D_E,         p$D_A, C,     p$D_U, p$D_X,
      p$U_E,         p$U_A, p$U_D, C,     p$U_X,
      0, 0, 0, 0, 1),
    utility = u,
    costs = list(state = 12 * c_state, programme = 12 * cbind(0, c_int * int, 0, 0))
  )
})
det_rng <- define_rng({
  list(p = fixed(flat(P)), rr = rr, c_int = c_int, c_state = fixed(cost), u = fixed(utility))
}, n = 1)
psa_rng <- define_rng({
  list(p = dirichlet_rng(alpha), rr = lognormal_rng(rr_meanlog, rr_sdlog),
       c_int = gamma_rng(cost_int_mean, cost_int_sd), c_state = gamma_rng(mean = cost_mean, sd = cost_sd),
       u = beta_rng(mean = utility_mean, sd = utility_sd))
}, n = psa_samples)

cohort <- function(rng_def, label) {
  econmod <- create_CohortDtstm(define_model(tparams_def = tparams_def, rng_def = rng_def, params = params),
                                input_data, cycle_length = cycle_years)
  timed(label, function() {
    econmod$sim_stateprobs(n_cycles = months)
    econmod$sim_qalys(dr = dr, integrate_method = "riemann_right")
    econmod$sim_costs(dr = dr, integrate_method = "riemann_right")
  })
  ce <- econmod$summarize()
  cost <- sapply(1:2, function(k) ce$costs[category == "total" & strategy_id == k][order(sample), costs])
  qaly <- sapply(1:2, function(k) ce$qalys[strategy_id == k][order(sample), qalys])
  cost <- matrix(cost, ncol = 2); qaly <- matrix(qaly, ncol = 2)
  for (j in 1:2) {
    report(label, "cost", strategies[j], cost[, j])
    report(label, "qalys", strategies[j], qaly[, j])
  }
  if (nrow(cost) > 1) {
    report(label, "cost", "incremental", cost[, 2] - cost[, 1])
    report(label, "qalys", "incremental", qaly[, 2] - qaly[, 1])
  }
}

if (task %in% c("all", "deterministic")) cohort(det_rng, "deterministic")
if (task %in% c("all", "psa") && psa_samples > 0) { set.seed(11); cohort(psa_rng, "psa") }

if (task %in% c("all", "microsim")) {
  # 16 transitions between the alive states and to X; exponential rates per year by strategy
  tmat <- matrix(NA, 5, 5, dimnames = list(states, states))
  k <- 0
  for (s in alive) for (t in states) if (s != t) { k <- k + 1; tmat[s, t] <- k }
  rate <- function(strategy, s, t) v[[paste0("g_", strategy, "_", s, "_", t)]]
  models <- list()
  for (s in alive) for (t in states) if (s != t) {
    b0 <- log(rate("usual", s, t)); b1 <- log(rate("intervention", s, t)) - b0
    models[[length(models) + 1]] <- params_surv(
      coefs = list(rate = as.matrix(data.frame(intercept = b0, intervention = b1))), dist = "exp")
  }
  psl <- do.call(params_surv_list, models)
  pop <- hesim_data(strategies = data.table(strategy_id = 1:2, strategy_name = strategies),
                    patients = data.table(patient_id = 1:people),
                    states = data.table(state_id = 1:4, state_name = alive))
  trans_data <- expand(pop, by = c("strategies", "patients"))
  trans_data[, intercept := 1]
  trans_data[, intervention := as.numeric(strategy_name == "intervention")]
  transmod <- create_IndivCtstmTrans(psl, input_data = trans_data, trans_mat = tmat, clock = "forward",
                                     start_age = 40, max_age = 1000)
  u_tbl <- stateval_tbl(data.table(state_id = 1:4, est = params$utility), dist = "fixed")
  c_tbl <- stateval_tbl(data.table(strategy_id = rep(1:2, each = 4), state_id = rep(1:4, 2),
                                   est = 12 * c(params$cost, params$cost + c(0, params$c_int, 0, 0))),
                        dist = "fixed")
  econmod <- IndivCtstm$new(trans_model = transmod,
                            utility_model = create_StateVals(u_tbl, n = 1, hesim_data = pop),
                            cost_models = list(care = create_StateVals(c_tbl, n = 1, hesim_data = pop)))
  timed("microsim", function() {
    econmod$sim_disease(max_t = months * cycle_years)
    econmod$sim_qalys(dr = dr, by_patient = TRUE)
    econmod$sim_costs(dr = dr, by_patient = TRUE)
  })
  q <- econmod$qalys_[, .(qalys = sum(qalys)), by = .(strategy_id, patient_id)]
  cst <- econmod$costs_[, .(costs = sum(costs)), by = .(strategy_id, patient_id)]
  for (j in 1:2) {
    report("microsim", "cost", strategies[j], cst[strategy_id == j, costs])
    report("microsim", "qalys", strategies[j], q[strategy_id == j, qalys])
  }
}

# Reference numbers for the survival models other than Cox (massincidents.survival:
# parametric AFT, Kaplan-Meier, Nelson-Aalen, Aalen-Johansen, discrete hazard),
# computed with R survival (survreg, survfit), glm and sandwich.
#
#   Rscript tests/reference/survival_parametric.R      (from the repository root)
#
# reads  tests/reference/data/discrete_spells.csv (written by make_survival_data.py)
# writes tests/reference/data/lung.csv    (survival::lung, NCCTG lung cancer; the
#                                          column `event` = status - 1)
#        tests/reference/data/heart.csv   (survival::heart, Stanford heart transplant,
#                                          counting-process rows)
#        tests/reference/data/mgus2.csv   (survival::mgus2, with `etime` and `etype`:
#                                          0 censored, 1 pcm, 2 death, as in the
#                                          survival "compete" vignette)
#        tests/reference/survival_parametric.json (every number with the R call that
#        produced it, 17 significant digits, R and package versions).
# Tests (tests/survival/test_reference_*.py) read the JSON and never need R.

suppressPackageStartupMessages({
  library(survival)
  library(splines)
  library(sandwich)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

# jsonlite prints at most 15 significant digits: write 17 verbatim; NA/NaN/Inf as null.
num17 <- function(x) {
  s <- unname(ifelse(is.finite(x), sprintf("%.17g", x), "null"))
  structure(if (length(x) == 1) s else paste0("[", paste(s, collapse = ","), "]"), class = "json")
}
vec17 <- function(x) structure(paste0("[", paste(unname(ifelse(is.finite(x), sprintf("%.17g", x), "null")),
                                                  collapse = ","), "]"), class = "json")
named17 <- function(x) {
  n <- names(x)
  n[n == "(Intercept)"] <- "Intercept"
  setNames(lapply(unname(x), num17), n)
}
mat17 <- function(m) lapply(seq_len(nrow(m)), function(i) vec17(m[i, ]))

write17 <- function(df, file) {
  out <- df
  for (v in names(out)) if (is.double(out[[v]])) out[[v]] <- sprintf("%.17g", out[[v]])
  out[is.na(df)] <- ""
  write.csv(out, file, row.names = FALSE, quote = FALSE)
}

# -- data -------------------------------------------------------------------------------
lung_out <- survival::lung
lung_out$event <- lung_out$status - 1
write17(lung_out[, c("inst", "time", "status", "event", "age", "sex", "ph.ecog")],
        file.path(here, "data", "lung.csv"))
lung_cc <- subset(survival::lung, !is.na(ph.ecog))

heart_out <- survival::heart
write17(heart_out, file.path(here, "data", "heart.csv"))

mg <- survival::mgus2
mg$etime <- with(mg, ifelse(pstat == 0, futime, ptime))
mg$etype <- with(mg, ifelse(pstat == 0, 2 * death, 1))
write17(mg[, c("id", "age", "sex", "etime", "etype")], file.path(here, "data", "mgus2.csv"))

# -- 1. accelerated failure time (survreg) ----------------------------------------------
aft_one <- function(dist) {
  call <- sprintf("survreg(Surv(time, status) ~ age + sex + ph.ecog, data = lung, dist = \"%s\")",
                  dist)
  fit <- survreg(Surv(time, status) ~ age + sex + ph.ecog, data = survival::lung, dist = dist,
                 control = survreg.control(rel.tolerance = 1e-13, iter.max = 100))
  rob <- survreg(Surv(time, status) ~ age + sex + ph.ecog, data = survival::lung, dist = dist,
                 robust = TRUE, control = survreg.control(rel.tolerance = 1e-13, iter.max = 100))
  lung_inst <- subset(survival::lung, !is.na(inst) & !is.na(ph.ecog))
  cl <- survreg(Surv(time, status) ~ age + sex + ph.ecog, data = lung_inst, dist = dist,
                cluster = inst, control = survreg.control(rel.tolerance = 1e-13, iter.max = 100))
  names_all <- c(names(coef(fit)), if (dist != "exponential") "Log(scale)")
  V <- fit$var
  dimnames(V) <- list(names_all, names_all)
  se <- sqrt(diag(V))
  names(se) <- names_all
  se_rob <- sqrt(diag(rob$var)); names(se_rob) <- names_all
  se_cl <- sqrt(diag(cl$var)); names(se_cl) <- names_all
  params <- c(coef(fit), if (dist != "exponential") c("Log(scale)" = log(fit$scale)))
  list(
    r_call = call,
    control = "survreg.control(rel.tolerance = 1e-13, iter.max = 100)",
    n = num17(nrow(lung_cc)),
    coef = named17(params),
    se = named17(se),
    vcov = mat17(V),
    terms = sub("\\(Intercept\\)", "Intercept", names_all),
    scale = num17(fit$scale),
    loglik = num17(fit$loglik[2]),
    loglik_null = num17(fit$loglik[1]),
    robust = list(r_call = sub("\\)$", ", robust = TRUE)", call), note = "fit$var: dfbeta sandwich, no small-sample factor (CRV0 by observation)",
                  se = named17(se_rob)),
    cluster_inst = list(r_call = "survreg(..., data = subset(lung, !is.na(inst) & !is.na(ph.ecog)), cluster = inst)",
                        n = num17(nrow(lung_inst)), note = "CRV0 by inst", coef = named17(c(coef(cl), if (dist != "exponential") c("Log(scale)" = log(cl$scale)))),
                        se = named17(se_cl))
  )
}
aft <- lapply(c(weibull = "weibull", lognormal = "lognormal", loglogistic = "loglogistic",
                exponential = "exponential"), aft_one)

# -- 2. Kaplan-Meier and Nelson-Aalen on lung by sex --------------------------------------
curve_out <- function(fit, call) {
  strata <- if (is.null(fit$strata)) rep("all", length(fit$time)) else
    rep(sub(".*=", "", names(fit$strata)), fit$strata)
  list(r_call = call, conf_type = fit$conf.type, conf_int = num17(fit$conf.int),
       strata = strata, time = vec17(fit$time), n_risk = vec17(fit$n.risk),
       n_event = vec17(fit$n.event), n_censor = vec17(fit$n.censor), surv = vec17(fit$surv),
       std_err = vec17(fit$std.err), lower = vec17(fit$lower), upper = vec17(fit$upper),
       cumhaz = vec17(fit$cumhaz), std_chaz = vec17(fit$std.chaz))
}
km <- list(
  note = "fit$std.err is the standard error of -log S (Greenwood); summary.survfit multiplies it by S",
  log = curve_out(survfit(Surv(time, status) ~ sex, data = survival::lung),
                  "survfit(Surv(time, status) ~ sex, data = lung)"),
  loglog = curve_out(survfit(Surv(time, status) ~ sex, data = survival::lung, conf.type = "log-log"),
                     "survfit(Surv(time, status) ~ sex, data = lung, conf.type = \"log-log\")"),
  plain = curve_out(survfit(Surv(time, status) ~ sex, data = survival::lung, conf.type = "plain"),
                    "survfit(Surv(time, status) ~ sex, data = lung, conf.type = \"plain\")"),
  level90 = curve_out(survfit(Surv(time, status) ~ sex, data = survival::lung, conf.int = 0.9),
                      "survfit(Surv(time, status) ~ sex, data = lung, conf.int = 0.9)"),
  heart = curve_out(survfit(Surv(start, stop, event) ~ transplant, data = survival::heart),
                    "survfit(Surv(start, stop, event) ~ transplant, data = heart)")
)
# Nelson-Aalen bands: survfit(stype = 2) estimates S = exp(-H); its CI mapped by -log gives
# H's. conf.type "log-log" on S is the log-transformed band of H, H exp(+-z se / H);
# "log" on S is the plain band H +- z se.
na_fit_ll <- survfit(Surv(time, status) ~ sex, data = survival::lung, stype = 2, ctype = 1,
                     conf.type = "log-log")
na_fit_l <- survfit(Surv(time, status) ~ sex, data = survival::lung, stype = 2, ctype = 1,
                    conf.type = "log")
nelson_aalen <- list(
  note = "H = cumhaz; band for H = -log(band for exp(-H)) of survfit(stype = 2, ctype = 1)",
  log = list(r_call = "-log(c(upper, lower)) of survfit(Surv(time, status) ~ sex, data = lung, stype = 2, ctype = 1, conf.type = \"log-log\")",
             strata = rep(sub(".*=", "", names(na_fit_ll$strata)), na_fit_ll$strata),
             time = vec17(na_fit_ll$time), cumhaz = vec17(na_fit_ll$cumhaz),
             std_chaz = vec17(na_fit_ll$std.chaz), lower = vec17(-log(na_fit_ll$upper)),
             upper = vec17(-log(na_fit_ll$lower))),
  plain = list(r_call = "-log(c(upper, lower)) of survfit(Surv(time, status) ~ sex, data = lung, stype = 2, ctype = 1, conf.type = \"log\")",
               strata = rep(sub(".*=", "", names(na_fit_l$strata)), na_fit_l$strata),
               time = vec17(na_fit_l$time), cumhaz = vec17(na_fit_l$cumhaz),
               std_chaz = vec17(na_fit_l$std.chaz), lower = vec17(-log(na_fit_l$upper)),
               upper = vec17(-log(na_fit_l$lower)))
)

# -- 3. Aalen-Johansen on mgus2: competing pcm and death ----------------------------------
aj_out <- function(fit, call) {
  strata <- if (is.null(fit$strata)) rep("all", length(fit$time)) else
    rep(sub(".*=", "", names(fit$strata)), fit$strata)
  states <- fit$states
  list(r_call = call, states = states, conf_type = fit$conf.type, strata = strata,
       time = vec17(fit$time), n_risk = vec17(fit$n.risk[, 1]),
       n_event = mat17(t(fit$n.event)),
       pstate = lapply(seq_along(states), function(j) vec17(fit$pstate[, j])),
       std_err = lapply(seq_along(states), function(j) vec17(fit$std.err[, j])),
       lower = lapply(seq_along(states), function(j) vec17(fit$lower[, j])),
       upper = lapply(seq_along(states), function(j) vec17(fit$upper[, j])))
}
mg$event <- factor(mg$etype, 0:2, labels = c("censor", "pcm", "death"))
aalen_johansen <- list(
  note = "pstate[j]: probability of state j (states[1] = '(s0)', event-free); std.err on the probability scale (infinitesimal jackknife)",
  all = aj_out(survfit(Surv(etime, event) ~ 1, data = mg),
               "survfit(Surv(etime, event) ~ 1, data = mgus2), event = factor(etype, 0:2, c('censor', 'pcm', 'death'))"),
  by_sex = aj_out(survfit(Surv(etime, event) ~ sex, data = mg),
                  "survfit(Surv(etime, event) ~ sex, data = mgus2)")
)

# -- 4. discrete-time hazard: person-period GLM ------------------------------------------
sp <- read.csv(file.path(here, "data", "discrete_spells.csv"))
pp <- do.call(rbind, lapply(seq_len(nrow(sp)), function(i) {
  s <- sp[i, ]
  t <- seq(s$entry + 1, s$duration)
  data.frame(id = s$id, group = s$group, x1 = s$x1, x2 = s$x2, t = t,
             y = as.integer(s$event == 1 & t == s$duration))
}))
tight <- glm.control(epsilon = 1e-13, maxit = 200)
glm_out <- function(formula, link, call, cluster = TRUE) {
  fit <- glm(formula, family = binomial(link = link), data = pp, control = tight)
  # vcov(fit) uses the IRLS weights of the last iteration, computed at the coefficients of
  # the one before (a relative difference of ~1e-6 in the SE); se_at_estimate is the inverse
  # expected information at the final coefficients.
  X <- model.matrix(fit)
  eta <- drop(X %*% coef(fit))
  fam <- binomial(link = link)
  mu <- fam$linkinv(eta)
  w <- fam$mu.eta(eta)^2 / fam$variance(mu)
  V_final <- solve(crossprod(X * sqrt(w)))
  out <- list(r_call = call, n = num17(nrow(pp)), coef = named17(coef(fit)),
              se = named17(sqrt(diag(vcov(fit)))), loglik = num17(as.numeric(logLik(fit))),
              deviance = num17(deviance(fit)),
              se_at_estimate = list(r_call = "sqrt(diag(solve(crossprod(X * sqrt(mu.eta(eta)^2 / variance(mu)))))) at coef(fit)",
                                    se = named17(setNames(sqrt(diag(V_final)), names(coef(fit))))))
  if (cluster) {
    V <- vcovCL(fit, cluster = ~id, type = "HC0", cadjust = TRUE)
    out$se_crv1_id <- list(r_call = "sandwich::vcovCL(fit, cluster = ~id, type = \"HC0\", cadjust = TRUE)",
                           se = named17(sqrt(diag(V))))
  }
  out
}
discrete <- list(
  data = "data/discrete_spells.csv",
  expansion = "one row per spell and period t = entry + 1, ..., duration; y = 1 in the last period of a spell with event = 1",
  n_person_periods = num17(nrow(pp)),
  cloglog_dummies = glm_out(y ~ factor(t) + x1 + x2, "cloglog",
                            "glm(y ~ factor(t) + x1 + x2, family = binomial(link = \"cloglog\"), data = pp, control = glm.control(epsilon = 1e-13, maxit = 200))"),
  logit_dummies = glm_out(y ~ factor(t) + x1 + x2, "logit",
                          "glm(y ~ factor(t) + x1 + x2, family = binomial(link = \"logit\"), data = pp, control = glm.control(epsilon = 1e-13, maxit = 200))"),
  cloglog_fe = glm_out(y ~ factor(t) + x1 + x2 + factor(group), "cloglog",
                       "glm(y ~ factor(t) + x1 + x2 + factor(group), family = binomial(link = \"cloglog\"), data = pp, control = glm.control(epsilon = 1e-13, maxit = 200))",
                       cluster = FALSE),
  cloglog_spline = glm_out(y ~ bs(t, df = 4) + x1 + x2, "cloglog",
                           "glm(y ~ splines::bs(t, df = 4) + x1 + x2, family = binomial(link = \"cloglog\"), data = pp, control = glm.control(epsilon = 1e-13, maxit = 200))",
                           cluster = FALSE)
)

out <- list(
  description = "Reference estimates for massincidents.survival other than Cox (tests/survival/test_reference_*.py)",
  generated_by = "tests/reference/survival_parametric.R",
  r_version = R.version.string,
  packages = list(survival = as.character(packageVersion("survival")),
                  splines = as.character(packageVersion("splines")),
                  sandwich = as.character(packageVersion("sandwich")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  data = list(lung = "data/lung.csv", heart = "data/heart.csv", mgus2 = "data/mgus2.csv",
              discrete_spells = "data/discrete_spells.csv"),
  aft = aft,
  kaplan_meier = km,
  nelson_aalen = nelson_aalen,
  aalen_johansen = aalen_johansen,
  discrete_hazard = discrete
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, null = "null", json_verbatim = TRUE),
           file.path(here, "survival_parametric.json"))
cat("wrote", file.path(here, "survival_parametric.json"), "\n")

# Reference numbers for mi.cox and mi.cox_zph, computed with R survival (coxph, cox.zph).
#
#   Rscript tests/reference/survival_cox.R      (from the repository root)
#
# writes tests/reference/data/cox_rossi.csv    (carData::Rossi, recoded 0/1 as lifelines'
#                                               load_rossi(): fin = yes, race = black,
#                                               wexp = yes, mar = married, paro = yes)
#        tests/reference/data/cox_bladder.csv  (survival::bladder, WLW layout, enum < 5)
#        tests/reference/data/cox_bladder2.csv (survival::bladder2, counting process)
#        tests/reference/data/cox_heart.csv    (survival::heart, Stanford transplant;
#                                               transplant written as 0/1)
#        tests/reference/data/cox_kidney.csv   (survival::kidney)
#        tests/reference/survival_cox.json     (every number with the R call that made it,
#                                               17 significant digits, R and package versions)
# Every model is fitted on the CSV as read back, so R and Python see the same numbers.
# Tests (tests/reference/test_survival_cox.py) read the JSON and never need R.
#
# Convergence: coxph stops when the log-likelihood changes by less than eps = 1e-9
# (relative), which leaves the coefficients accurate to ~1e-9 or so. The references
# use eps = 1e-12 (`tight`) so that they are the optimum; the default-control
# coefficients are recorded as well (`coef_default`).

suppressPackageStartupMessages({
  library(survival)
  library(carData)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"
datadir <- file.path(here, "data")

# jsonlite prints at most 15 significant digits: write 17 verbatim.
num17 <- function(x) structure(sprintf("%.17g", x), class = "json")
named17 <- function(x) setNames(lapply(unname(x), num17), names(x))
vec17 <- function(x) lapply(unname(as.numeric(x)), num17)
mat17 <- function(m) lapply(seq_len(nrow(m)), function(i) vec17(m[i, ]))

write17 <- function(df, name) {
  out <- df
  for (v in names(out)) {
    if (is.numeric(out[[v]])) out[[v]] <- sprintf("%.17g", out[[v]])
  }
  path <- file.path(datadir, name)
  write.csv(out, path, row.names = FALSE, quote = FALSE)
  read.csv(path)
}

tight <- coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 200)

# -- data ------------------------------------------------------------------------------
rossi0 <- carData::Rossi
rossi <- write17(data.frame(
  week = rossi0$week, arrest = rossi0$arrest,
  fin = as.integer(rossi0$fin == "yes"), age = rossi0$age,
  race = as.integer(rossi0$race == "black"), wexp = as.integer(rossi0$wexp == "yes"),
  mar = as.integer(rossi0$mar == "married"), paro = as.integer(rossi0$paro == "yes"),
  prio = rossi0$prio
), "cox_rossi.csv")
bladder_wlw <- write17(survival::bladder[survival::bladder$enum < 5, ], "cox_bladder.csv")
bladder2 <- write17(survival::bladder2, "cox_bladder2.csv")
heart0 <- survival::heart
heart0$transplant <- as.integer(as.character(heart0$transplant))
heart <- write17(heart0, "cox_heart.csv")
kidney0 <- survival::kidney
kidney0$disease <- as.character(kidney0$disease)
kidney <- write17(kidney0, "cox_kidney.csv")

# -- Cox models ------------------------------------------------------------------------
cox_entry <- function(call_text, data_name, fit, fit_default) {
  V <- fit$var
  out <- list(
    call = call_text,
    data = data_name,
    ties = fit$method,
    n = fit$n,
    nevent = fit$nevent,
    coef = named17(coef(fit)),
    coef_default = named17(coef(fit_default)),
    se = named17(setNames(sqrt(diag(V)), names(coef(fit)))),
    vcov = mat17(V),
    loglik = vec17(fit$loglik),
    concordance = num17(unname(fit$concordance["concordance"])),
    iter = fit$iter
  )
  if (!is.null(fit$naive.var)) {
    out$se <- named17(setNames(sqrt(diag(fit$naive.var)), names(coef(fit))))
    out$vcov <- mat17(fit$naive.var)
    out$robust_se <- named17(setNames(sqrt(diag(fit$var)), names(coef(fit))))
    out$robust_vcov <- mat17(fit$var)
  }
  out
}

specs <- list(
  rossi_efron = list(
    "coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = rossi, ties = 'efron')",
    "rossi"),
  rossi_breslow = list(
    "coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = rossi, ties = 'breslow')",
    "rossi"),
  rossi_robust = list(
    "coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = rossi, robust = TRUE)",
    "rossi"),
  bladder2_ag = list(
    "coxph(Surv(start, stop, event) ~ rx + number + size + cluster(id), data = bladder2)",
    "bladder2"),
  bladder2_ag_breslow = list(
    "coxph(Surv(start, stop, event) ~ rx + number + size + cluster(id), data = bladder2, ties = 'breslow')",
    "bladder2"),
  bladder2_pwp_total = list(
    "coxph(Surv(start, stop, event) ~ rx + number + size + strata(enum) + cluster(id), data = bladder2)",
    "bladder2"),
  bladder2_pwp_gap = list(
    "coxph(Surv(stop - start, event) ~ rx + number + size + strata(enum) + cluster(id), data = bladder2)",
    "bladder2"),
  bladder_wlw = list(
    "coxph(Surv(stop, event) ~ rx + number + size + strata(enum) + cluster(id), data = bladder)",
    "bladder"),
  heart = list(
    "coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = heart)",
    "heart"),
  kidney_disease = list(
    "coxph(Surv(time, status) ~ age + sex + disease, data = kidney)",
    "kidney"),
  heart_breslow_robust = list(
    "coxph(Surv(start, stop, event) ~ age + year + surgery + transplant + cluster(id), data = heart, ties = 'breslow')",
    "heart")
)
datasets <- list(rossi = rossi, bladder = bladder_wlw, bladder2 = bladder2, heart = heart,
                 kidney = kidney)

models <- list()
fits <- list()
for (name in names(specs)) {
  call_text <- specs[[name]][[1]]
  data_name <- specs[[name]][[2]]
  env <- list2env(datasets)
  expr <- parse(text = call_text)[[1]]
  fit_default <- eval(expr, env)
  expr$control <- tight
  fit <- eval(expr, env)
  fits[[name]] <- fit
  models[[name]] <- cox_entry(call_text, data_name, fit, fit_default)
}

# -- cox.zph ---------------------------------------------------------------------------
zph_entry <- function(call_text, fit_name, z) {
  tbl <- z$table
  list(
    call = call_text,
    model = fit_name,
    table = setNames(lapply(rownames(tbl), function(r) list(
      chisq = num17(tbl[r, "chisq"]), df = num17(tbl[r, "df"]), p = num17(tbl[r, "p"]))),
      rownames(tbl)),
    x = vec17(z$x),
    time = vec17(z$time),
    y = mat17(unclass(z$y)),
    terms = colnames(z$y)
  )
}
zph <- list(
  rossi_efron_km = zph_entry("cox.zph(<rossi_efron>, transform = 'km')", "rossi_efron",
                             cox.zph(fits$rossi_efron, transform = "km")),
  rossi_breslow_km = zph_entry("cox.zph(<rossi_breslow>, transform = 'km')", "rossi_breslow",
                               cox.zph(fits$rossi_breslow, transform = "km")),
  rossi_efron_identity = zph_entry("cox.zph(<rossi_efron>, transform = 'identity')",
                                   "rossi_efron",
                                   cox.zph(fits$rossi_efron, transform = "identity")),
  rossi_efron_rank = zph_entry("cox.zph(<rossi_efron>, transform = 'rank')", "rossi_efron",
                               cox.zph(fits$rossi_efron, transform = "rank")),
  heart_km = zph_entry("cox.zph(<heart>, transform = 'km')", "heart",
                       cox.zph(fits$heart, transform = "km")),
  kidney_disease_km = zph_entry("cox.zph(<kidney_disease>, transform = 'km')", "kidney_disease",
                                cox.zph(fits$kidney_disease, transform = "km")),
  kidney_disease_km_columns = zph_entry(
    "cox.zph(<kidney_disease>, transform = 'km', terms = FALSE)", "kidney_disease",
    cox.zph(fits$kidney_disease, transform = "km", terms = FALSE)),
  bladder2_pwp_total_km = zph_entry("cox.zph(<bladder2_pwp_total>, transform = 'km')",
                                    "bladder2_pwp_total",
                                    cox.zph(fits$bladder2_pwp_total, transform = "km"))
)

# -- shared gamma frailty on kidney ----------------------------------------------------
frailty_entry <- function(call_text, fit, theta_final, note) {
  h <- fit$history[[1]]
  k <- seq_along(coef(fit))[!grepl("^gamma:", names(coef(fit)))]
  list(
    call = call_text,
    note = note,
    coef = named17(coef(fit)[k]),
    se = named17(setNames(sqrt(diag(fit$var))[k], names(coef(fit))[k])),
    se2 = named17(setNames(sqrt(diag(fit$var2))[k], names(coef(fit))[k])),
    theta = num17(theta_final),
    theta_next = num17(if (is.null(h$theta)) NA else h$theta),
    loglik = vec17(fit$loglik),
    c_loglik = num17(h$c.loglik),
    frail = vec17(fit$frail),
    concordance = num17(unname(fit$concordance["concordance"])),
    history = if (is.null(h$history)) NULL else mat17(h$history),
    iter = fit$iter
  )
}
kidney_call <- "coxph(Surv(time, status) ~ age + sex + frailty(id, distribution = 'gamma'), data = kidney)"
fr_default <- coxph(Surv(time, status) ~ age + sex + frailty(id, distribution = "gamma"),
                    data = kidney)
hd <- fr_default$history[[1]]$history
fr_tight <- suppressWarnings(coxph(
  Surv(time, status) ~ age + sex + frailty(id, distribution = "gamma", eps = 1e-10),
  data = kidney, control = coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 200,
                                         outer.max = 100)))
ht <- fr_tight$history[[1]]$history
fr_fixed <- coxph(Surv(time, status) ~ age + sex + frailty(id, distribution = "gamma", theta = 0.5),
                  data = kidney, control = coxph.control(eps = 1e-12, toler.chol = 1e-15,
                                                         iter.max = 200))
fr_fixed_breslow <- coxph(
  Surv(time, status) ~ age + sex + frailty(id, distribution = "gamma", theta = 0.5),
  data = kidney, ties = "breslow",
  control = coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 200))
fr_dense <- coxph(
  Surv(time, status) ~ age + sex + frailty(id, distribution = "gamma", theta = 0.5, sparse = FALSE),
  data = kidney, control = coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 200))
frailty <- list(
  kidney_default = frailty_entry(kidney_call, fr_default, hd[nrow(hd), 1],
    paste("R defaults: the coefficients are those of the last theta in the history",
          "(printed 'Variance of random effect'); theta_next is $history[[1]]$theta,",
          "the next proposal, at which no fit was made.")),
  kidney_tight = frailty_entry(
    paste(sub("'gamma')", "'gamma', eps = 1e-10)", kidney_call, fixed = TRUE),
          "with control = coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 200, outer.max = 100)"),
    fr_tight, ht[nrow(ht), 1],
    "Search for theta run to convergence: theta maximises the I-likelihood (c_loglik)."),
  kidney_theta_0.5 = frailty_entry(
    "coxph(Surv(time, status) ~ age + sex + frailty(id, distribution = 'gamma', theta = 0.5), data = kidney, control = tight)",
    fr_fixed, 0.5, "theta fixed at 0.5"),
  kidney_theta_0.5_dense = frailty_entry(
    "coxph(Surv(time, status) ~ age + sex + frailty(id, distribution = 'gamma', theta = 0.5, sparse = FALSE), data = kidney, control = tight)",
    fr_dense, 0.5, "theta fixed at 0.5, full (not sparse) frailty block in the variance"),
  kidney_theta_0.5_breslow = frailty_entry(
    "coxph(Surv(time, status) ~ age + sex + frailty(id, distribution = 'gamma', theta = 0.5), data = kidney, ties = 'breslow', control = tight)",
    fr_fixed_breslow, 0.5, "theta fixed at 0.5, Breslow ties")
)

out <- list(
  generated_by = "tests/reference/survival_cox.R",
  versions = list(R = R.version.string,
                  survival = as.character(packageVersion("survival")),
                  carData = as.character(packageVersion("carData")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  control = "tight = coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 200)",
  data = list(
    rossi = list(file = "data/cox_rossi.csv", n = nrow(rossi),
                 source = "carData::Rossi (Rossi, Berk and Lenihan 1980), recoded 0/1"),
    bladder = list(file = "data/cox_bladder.csv", n = nrow(bladder_wlw),
                   source = "survival::bladder (Wei, Lin and Weissfeld 1989), enum < 5"),
    bladder2 = list(file = "data/cox_bladder2.csv", n = nrow(bladder2),
                    source = "survival::bladder2 (Andersen-Gill layout)"),
    heart = list(file = "data/cox_heart.csv", n = nrow(heart),
                 source = "survival::heart (Crowley and Hu 1977), transplant 0/1"),
    kidney = list(file = "data/cox_kidney.csv", n = nrow(kidney),
                  source = "survival::kidney (McGilchrist and Aisbett 1991)")
  ),
  models = models,
  zph = zph,
  frailty = frailty
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, null = "null", na = "null"),
           file.path(here, "survival_cox.json"))
cat("wrote", file.path(here, "survival_cox.json"), "\n")

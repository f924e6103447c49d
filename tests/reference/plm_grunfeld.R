# Reference numbers for the panel estimators (massincidents.linear, .panel,
# .hausman), computed with R plm on plm's Grunfeld data.
#
#   Rscript tests/reference/plm_grunfeld.R      (from anywhere)
#
# writes tests/reference/data/grunfeld.csv and grunfeld_unbalanced.csv (the
# data, 17 significant digits) and tests/reference/plm_grunfeld.json (every
# number with the exact R call that produced it, 17 significant digits, R and
# package versions). Tests read the JSON and never need R.
#
# Data: Grunfeld (1958) investment data as shipped by plm: 10 firms x 20 years
# (1935-1954), 200 rows; inv ~ value + capital. The unbalanced panel keeps,
# for firm i, the years from 1935 + (i - 1) on (155 rows, T_i = 21 - i), so
# that plm uses its unbalanced Swamy-Arora formulas (no gaps inside a firm).
#
# Mapping of plm/sandwich variances to the massincidents variance menu
# (N rows, k slopes, G clusters):
#   vcov(<plm model>)                                   -> "iid"
#   vcovHC(m, method = "arellano", type = "HC0")         -> {"CRV0": "firm"}
#   vcovHC(m, method = "arellano", type = "sss")         -> {"CRV1": "firm"}
#       (G/(G-1) (N-1)/(N-k); within: firm effects, nested in the clusters,
#        not counted in k, as reghdfe/xtreg)
#   vcovHC(m, method = "arellano", type = "HC1")         -> not on the menu:
#       N/(N-k) times CRV0, without G/(G-1) (tested as that rescaling)
#   vcovSCC(m, type = "HC0", maxlag = L)                 -> {"DK": L}
#
# random_tinv adds big = (firm <= 4), constant within firms, so that the
# within and between regressions of Swamy-Arora have different numbers of
# regressors (plm: K_w = 2 in the within, 3 + intercept in the between).

suppressPackageStartupMessages({
  library(plm)
  library(sandwich)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

data("Grunfeld", package = "plm")
g <- Grunfeld
g_ub <- g[g$year >= 1935 + (g$firm - 1), ]
rownames(g_ub) <- NULL

write_data <- function(d, file) {
  csv <- data.frame(
    firm = d$firm, year = d$year,
    inv = sprintf("%.17g", d$inv), value = sprintf("%.17g", d$value),
    capital = sprintf("%.17g", d$capital)
  )
  write.csv(csv, file.path(here, "data", file), row.names = FALSE, quote = FALSE)
}
write_data(g, "grunfeld.csv")
write_data(g_ub, "grunfeld_unbalanced.csv")

# jsonlite prints at most 15 significant digits: write 17 verbatim.
num17 <- function(x) structure(sprintf("%.17g", x), class = "json")
named17 <- function(b) {
  n <- names(b); n[n == "(Intercept)"] <- "Intercept"; setNames(lapply(unname(b), num17), n)
}
se17 <- function(V) named17(setNames(sqrt(diag(unclass(V))), colnames(V)))

fml <- inv ~ value + capital
fml_tinv <- inv ~ value + capital + big
g$big <- as.numeric(g$firm <= 4)
g_ub$big <- as.numeric(g_ub$firm <= 4)
pg <- pdata.frame(g, index = c("firm", "year"))
pu <- pdata.frame(g_ub, index = c("firm", "year"))

fit <- list(
  pooling  = plm(fml, data = pg, model = "pooling"),
  within   = plm(fml, data = pg, model = "within", effect = "individual"),
  within2  = plm(fml, data = pg, model = "within", effect = "twoways"),
  random   = plm(fml, data = pg, model = "random", random.method = "swar"),
  between  = plm(fml, data = pg, model = "between"),
  fd       = plm(fml, data = pg, model = "fd"),
  u_within = plm(fml, data = pu, model = "within", effect = "individual"),
  u_random = plm(fml, data = pu, model = "random", random.method = "swar"),
  u_between = plm(fml, data = pu, model = "between"),
  u_fd     = plm(fml, data = pu, model = "fd"),
  random_tinv = plm(fml_tinv, data = pdata.frame(g, index = c("firm", "year")),
                    model = "random", random.method = "swar"),
  u_random_tinv = plm(fml_tinv, data = pdata.frame(g_ub, index = c("firm", "year")),
                      model = "random", random.method = "swar")
)
calls <- list(
  pooling  = 'plm(inv ~ value + capital, data = pdata.frame(Grunfeld, index = c("firm", "year")), model = "pooling")',
  within   = 'plm(inv ~ value + capital, data = pdata.frame(Grunfeld, index = c("firm", "year")), model = "within", effect = "individual")',
  within2  = 'plm(inv ~ value + capital, data = pdata.frame(Grunfeld, index = c("firm", "year")), model = "within", effect = "twoways")',
  random   = 'plm(inv ~ value + capital, data = pdata.frame(Grunfeld, index = c("firm", "year")), model = "random", random.method = "swar")',
  between  = 'plm(inv ~ value + capital, data = pdata.frame(Grunfeld, index = c("firm", "year")), model = "between")',
  fd       = 'plm(inv ~ value + capital, data = pdata.frame(Grunfeld, index = c("firm", "year")), model = "fd")',
  u_within = 'plm(inv ~ value + capital, data = pdata.frame(Grunfeld[Grunfeld$year >= 1934 + Grunfeld$firm, ], index = c("firm", "year")), model = "within", effect = "individual")',
  u_random = 'plm(inv ~ value + capital, data = pdata.frame(Grunfeld[Grunfeld$year >= 1934 + Grunfeld$firm, ], index = c("firm", "year")), model = "random", random.method = "swar")',
  u_between = 'plm(inv ~ value + capital, data = pdata.frame(Grunfeld[Grunfeld$year >= 1934 + Grunfeld$firm, ], index = c("firm", "year")), model = "between")',
  u_fd     = 'plm(inv ~ value + capital, data = pdata.frame(Grunfeld[Grunfeld$year >= 1934 + Grunfeld$firm, ], index = c("firm", "year")), model = "fd")',
  random_tinv = 'plm(inv ~ value + capital + big, data = pdata.frame(transform(Grunfeld, big = as.numeric(firm <= 4)), index = c("firm", "year")), model = "random", random.method = "swar")',
  u_random_tinv = 'plm(inv ~ value + capital + big, data = pdata.frame(transform(Grunfeld[Grunfeld$year >= 1934 + Grunfeld$firm, ], big = as.numeric(firm <= 4)), index = c("firm", "year")), model = "random", random.method = "swar")'
)
ours <- list(
  pooling  = 'mi.linear("inv ~ value + capital", data, vcov="iid")',
  within   = 'mi.linear("inv ~ value + capital | firm", data, vcov="iid")',
  within2  = 'mi.linear("inv ~ value + capital | firm + year", data, vcov="iid")',
  random   = 'mi.random_effects("inv ~ value + capital", data, entity="firm")',
  between  = 'mi.between("inv ~ value + capital", data, entity="firm")',
  fd       = 'mi.first_difference("inv ~ value + capital", data, entity="firm")',
  u_within = 'mi.linear("inv ~ value + capital | firm", unbalanced, vcov="iid")',
  u_random = 'mi.random_effects("inv ~ value + capital", unbalanced, entity="firm")',
  u_between = 'mi.between("inv ~ value + capital", unbalanced, entity="firm")',
  u_fd     = 'mi.first_difference("inv ~ value + capital", unbalanced, entity="firm")',
  random_tinv = 'mi.random_effects("inv ~ value + capital + big", data.assign(big=(data.firm <= 4) * 1.0), entity="firm")',
  u_random_tinv = 'mi.random_effects("inv ~ value + capital + big", unbalanced.assign(big=(unbalanced.firm <= 4) * 1.0), entity="firm")'
)

models <- list()
for (name in names(fit)) {
  m <- fit[[name]]
  entry <- list(
    r_call = calls[[name]], ours = ours[[name]],
    nobs = nobs(m), df_residual = df.residual(m),
    coef = named17(coef(m)),
    se_iid = se17(vcov(m)),
    r_call_se_iid = "sqrt(diag(vcov(m)))",
    r_squared = num17(unname(r.squared(m))),
    r_call_r_squared = "r.squared(m)  (plm: on the transformed data the model fits)"
  )
  if (grepl("random", name)) {
    ec <- m$ercomp
    entry$sigma2_idios <- num17(unname(ec$sigma2["idios"]))
    entry$sigma2_id <- num17(unname(ec$sigma2["id"]))
    entry$r_call_sigma2 <- 'm$ercomp$sigma2[c("idios", "id")]'
    idx <- index(m)
    theta_obs <- rep_len(as.numeric(ec$theta), nrow(idx))  # a scalar when balanced
    theta_firm <- tapply(theta_obs, idx$firm, function(v) v[1])
    entry$theta_by_firm <- setNames(lapply(unname(theta_firm), num17), names(theta_firm))
    entry$r_call_theta <- "tapply(rep_len(m$ercomp$theta, nobs(m)), index(m)$firm, `[`, 1)  (theta_i = 1 - sqrt(s2_idios / (s2_idios + T_i s2_id)))"
    entry$balanced <- attr(ec, "balanced")
  }
  models[[name]] <- entry
}

# -- variance menu on the panel models --------------------------------------
vc <- list()
addv <- function(name, model, ours, call, note = NULL) {
  m <- fit[[model]]
  V <- eval(parse(text = call))
  vc[[length(vc) + 1L]] <<- list(name = name, model = model, ours = ours,
                                 r_call = sub("\\bm\\b", paste0("<", model, ">"), call),
                                 se = se17(V), note = note)
}
for (mod in c("pooling", "within", "random", "fd")) {
  addv(paste(mod, "CRV0 firm"), mod, list(vcov = list(CRV0 = "firm")),
       'vcovHC(m, method = "arellano", type = "HC0", cluster = "group")')
  addv(paste(mod, "CRV1 firm"), mod, list(vcov = list(CRV1 = "firm")),
       'vcovHC(m, method = "arellano", type = "sss", cluster = "group")',
       "plm sss = G/(G-1) (N-1)/(N-k), k = coefficients of the model (no fixed effects)")
}
addv("within HC1 firm", "within", NULL,
     'vcovHC(m, method = "arellano", type = "HC1", cluster = "group")',
     "N/(N-k) times CRV0 (k = 2 slopes): not a menu entry; the test checks this rescaling of CRV0")
addv("within DK 2 lags", "within", list(vcov = list(DK = 2)),
     'vcovSCC(m, type = "HC0", cluster = "time", maxlag = 2)')
addv("random DK 2 lags", "random", list(vcov = list(DK = 2)),
     'vcovSCC(m, type = "HC0", cluster = "time", maxlag = 2)')

# -- Hausman tests -----------------------------------------------------------
htest <- function(h, call, ours) {
  list(r_call = call, ours = ours, statistic = num17(unname(h$statistic)),
       df = unname(h$parameter), p_value = num17(unname(h$p.value)))
}
tests <- list(
  classic = htest(phtest(fit$within, fit$random),
                  "phtest(<within>, <random>)",
                  'mi.hausman(fe, re, method="classic")'),
  classic_unbalanced = htest(phtest(fit$u_within, fit$u_random),
                             "phtest(<u_within>, <u_random>)",
                             'mi.hausman(fe_u, re_u, method="classic")'),
  aux_iid = htest(phtest(fml, data = pg, method = "aux"),
                  'phtest(inv ~ value + capital, data = pdata.frame(Grunfeld, index = c("firm", "year")), method = "aux")',
                  'mi.hausman(fe, re, method="robust", vcov="iid")'),
  aux_arellano = htest(phtest(fml, data = pg, method = "aux",
                              vcov = function(x) vcovHC(x, method = "arellano")),
                       'phtest(inv ~ value + capital, data = pdata.frame(Grunfeld, index = c("firm", "year")), method = "aux", vcov = function(x) vcovHC(x, method = "arellano"))',
                       'mi.hausman(fe, re, method="robust", vcov={"CRV0": "firm"})'),
  aux_arellano_sss = htest(phtest(fml, data = pg, method = "aux",
                                  vcov = function(x) vcovHC(x, method = "arellano", type = "sss")),
                           'phtest(inv ~ value + capital, data = pdata.frame(Grunfeld, index = c("firm", "year")), method = "aux", vcov = function(x) vcovHC(x, method = "arellano", type = "sss"))',
                           'mi.hausman(fe, re, method="robust")  (default CRV1 by entity)'),
  aux_arellano_unbalanced = c(
    htest(phtest(fml, data = pu, method = "aux", vcov = function(x) vcovHC(x, method = "arellano")),
          'phtest(inv ~ value + capital, data = pdata.frame(Grunfeld[Grunfeld$year >= 1934 + Grunfeld$firm, ], index = c("firm", "year")), method = "aux", vcov = function(x) vcovHC(x, method = "arellano"))',
          "not mi.hausman: plm's auxiliary regression with a constant in place of 1 - theta_i"),
    list(note = paste("In unbalanced panels plm drops the transformed intercept 1 - theta_i and adds a",
                      "constant; mi.hausman keeps 1 - theta_i (Wooldridge). The test reproduces plm's",
                      "number only with the constant, to show that this is the whole difference."))
  )
)

out <- list(
  description = paste("plm estimators of inv ~ value + capital on plm's Grunfeld data (10 firms x 20",
                      "years) and an unbalanced subset, for tests/reference/test_plm_grunfeld.py"),
  generated_by = "tests/reference/plm_grunfeld.R",
  r_version = R.version.string,
  packages = list(plm = as.character(packageVersion("plm")),
                  sandwich = as.character(packageVersion("sandwich")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  data = list(
    balanced = list(file = "data/grunfeld.csv", r_object = 'data("Grunfeld", package = "plm")',
                    n = nrow(g), firms = length(unique(g$firm)), years = length(unique(g$year))),
    unbalanced = list(file = "data/grunfeld_unbalanced.csv",
                      r_object = "Grunfeld[Grunfeld$year >= 1934 + Grunfeld$firm, ]",
                      n = nrow(g_ub), firms = length(unique(g_ub$firm)))
  ),
  models = models,
  variances = vc,
  tests = tests
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, null = "null", json_verbatim = TRUE),
           file.path(here, "plm_grunfeld.json"))

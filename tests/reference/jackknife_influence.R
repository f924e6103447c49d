# Reference numbers for mi.influence (massincidents.inference.influence): leave-one-
# cluster-out estimates and their CRV1 standard errors, cluster leverage, partial
# leverage and the effective number of clusters G*(0), G*(1), computed in R from
# their definitions (MacKinnon, Nielsen and Webb 2023, summclust; Carter, Schnepel
# and Steigerwald 2017) with lm, glm and sandwich::vcovCL. summclust itself is not
# installed here; its published outputs are on the nlswork data (not available offline).
#
#   Rscript tests/reference/jackknife_influence.R      (from the repository root)
#
# Least squares with fixed effects uses the dummy-variable regression (all columns,
# solve(crossprod(X))), so the agreement also checks that our partialled-regressor
# formulas give summclust's dummy-regression numbers for G* and partial leverage.

suppressPackageStartupMessages({
  library(sandwich)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

vec17 <- function(x) structure(paste0("[", paste(sprintf("%.17g", x), collapse = ", "), "]"), class = "json")
pet <- read.csv(file.path(here, "data", "petersen.csv"))
panel <- read.csv(file.path(here, "data", "count_panel.csv"))
tight <- glm.control(epsilon = 1e-13, maxit = 200)

gstar <- function(a, cl) {
  g0 <- tapply(a^2, cl, sum)
  g1 <- tapply(a, cl, sum)^2
  G <- length(g0)
  sapply(list(g0, g1), function(g) G / (1 + mean(((g - mean(g)) / mean(g))^2)))
}

influence_case <- function(name, data, fit_on, cluster, term, slopes, weights_of, call) {
  full <- fit_on(data)
  X <- model.matrix(full)
  w <- weights_of(full)
  B <- solve(crossprod(X * sqrt(w)))
  cl <- data[[cluster]]
  levels <- sort(unique(cl))
  # leverage of the slopes: on the regressors partialled out of the other columns
  # that are not slopes (intercept or dummies), as summclust's absorb
  others <- setdiff(colnames(X), slopes)
  Z <- X[, others, drop = FALSE]
  Xs <- X[, slopes, drop = FALSE]
  Xt <- if (length(others)) Xs - Z %*% solve(crossprod(Z * sqrt(w)), crossprod(Z * w, Xs)) else Xs
  Bt <- solve(crossprod(Xt * sqrt(w)))
  leverage <- sapply(levels, function(g) {
    r <- cl == g
    sum(diag(crossprod(Xt[r, , drop = FALSE] * sqrt(w[r])) %*% Bt))
  })
  a <- drop(X %*% B[, term])            # column of X (X'WX)^{-1} for the term
  partial <- tapply(w * a^2, cl, sum) / sum(w * a^2)
  gs <- gstar(sqrt(w) * a, cl)
  loo <- lapply(levels, function(g) {
    d <- data[cl != g, ]
    f <- fit_on(d)
    V <- vcovCL(f, cluster = d[[cluster]])
    c(coef(f)[slopes], sqrt(diag(V))[slopes])
  })
  loo <- do.call(rbind, loo)
  list(
    name = name, cluster = cluster, term = term, slopes = I(slopes), r_call = call,
    levels = vec17(levels), leverage = vec17(leverage), partial_leverage = vec17(partial),
    gstar0 = sprintf("%.17g", gs[1]), gstar1 = sprintf("%.17g", gs[2]),
    coef = vec17(coef(full)[slopes]),
    leave_out_coef = lapply(seq_along(slopes), function(j) vec17(loo[, j])),
    leave_out_se = lapply(seq_along(slopes), function(j) vec17(loo[, length(slopes) + j]))
  )
}

ones <- function(fit) rep(1, nobs(fit))
cases <- list(
  influence_case("lm pooled, by year", pet, function(d) lm(y ~ x, data = d), "year", "x", c("(Intercept)", "x"), ones,
                 "lm(y ~ x, data = pet); leave-one-out SE: sandwich::vcovCL(fit_g, cluster = ~year) (HC1, cadjust)"),
  influence_case("lm firm FE as dummies, by year", pet, function(d) lm(y ~ x + factor(firm), data = d),
                 "year", "x", "x", ones,
                 "lm(y ~ x + factor(firm), data = pet); leave-one-out SE: sandwich::vcovCL(fit_g, cluster = ~year) (HC1, cadjust)"),
  influence_case("glm poisson pooled, by province", panel,
                 function(d) glm(y ~ x1 + x2 + treated + offset(log(population)), family = poisson, data = d, control = tight),
                 "province", "treated", c("(Intercept)", "x1", "x2", "treated"), function(f) weights(f, "working"),
                 "glm(y ~ x1 + x2 + treated + offset(log(population)), family = poisson, data = panel); leave-one-out SE: sandwich::vcovCL(fit_g, cluster = ~province) (HC0, cadjust); W = working weights")
)

out <- list(
  description = "mi.influence: leave-one-cluster-out estimates and CRV1 SEs, leverage, partial leverage, G*(0), G*(1)",
  r_version = R.version.string,
  packages = list(sandwich = as.character(packageVersion("sandwich")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  data = list(petersen = "data/petersen.csv", count_panel = "data/count_panel.csv"),
  cases = cases
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, null = "null", digits = NA),
           file.path(here, "jackknife_influence.json"))

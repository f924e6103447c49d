# Reference numbers for the count models (massincidents.counts), computed with
# R glm + sandwich, MASS::glm.nb and pscl::zeroinfl.
#
#   Rscript tests/reference/counts_reference.R      (from the repository root)
#
# reads  tests/reference/data/count_panel.csv (written by make_count_panel.py:
#        mi.datasets.simulate_panel(n_provinces=31, n_years=12, seed=20240611))
# writes tests/reference/data/quine.csv        (MASS::quine, Venables and Ripley 2002)
#        tests/reference/data/biochemists.csv  (pscl::bioChemists, Long 1990/1997;
#                                                fem = 1 for Women, mar = 1 for Married)
#        tests/reference/counts_reference.json (every number with the R call that
#        produced it, 17 significant digits, R and package versions).
# Tests (tests/counts/test_reference.py) read the JSON and never need R.

suppressPackageStartupMessages({
  library(MASS)
  library(pscl)
  library(sandwich)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

# jsonlite prints at most 15 significant digits: write 17 verbatim.
num17 <- function(x) structure(sprintf("%.17g", x), class = "json")
named17 <- function(x) {
  n <- names(x)
  n[n == "(Intercept)"] <- "Intercept"
  setNames(lapply(unname(x), num17), n)
}
se_of <- function(V) named17(sqrt(diag(V)))

# Tight convergence so that the reference is the optimum to ~1e-10, not to glm's default 1e-8.
tight <- glm.control(epsilon = 1e-13, maxit = 200)

# -- 1. Poisson with two-way fixed effects (dummies), offset log(population) ----------
panel <- read.csv(file.path(here, "data", "count_panel.csv"))
panel$obs <- seq_len(nrow(panel))
pois_fe <- glm(y ~ x1 + x2 + treated + factor(province) + factor(year), family = poisson,
               offset = log(population), data = panel, control = tight)
slopes <- c("x1", "x2", "treated")
n <- nrow(panel)
G <- length(unique(panel$province))
V_iid <- vcov(pois_fe)[slopes, slopes]
V_cl <- vcovCL(pois_fe, cluster = ~province, type = "HC0", cadjust = TRUE)[slopes, slopes]
V_cl0 <- vcovCL(pois_fe, cluster = ~province, type = "HC0", cadjust = FALSE)[slopes, slopes]
V_het <- vcovCL(pois_fe, cluster = ~obs, type = "HC0", cadjust = TRUE)[slopes, slopes]
V_het2 <- (sandwich(pois_fe) * n / (n - 1))[slopes, slopes]
V_2way <- vcovCL(pois_fe, cluster = ~province + year, type = "HC0", cadjust = TRUE)[slopes, slopes]

# Poisson without fixed effects, and its average marginal effects by hand (delta method).
pois <- glm(y ~ x1 + x2 + treated, family = poisson, offset = log(population), data = panel,
            control = tight)
b <- coef(pois)
X <- model.matrix(pois)
mu <- fitted(pois)
ame <- c(); grad <- list()
for (v in c("x1", "x2")) {
  ame[v] <- b[v] * mean(mu)
  g <- b[v] * colMeans(mu * X)
  g[v] <- g[v] + mean(mu)
  grad[[v]] <- g
}
X1 <- X; X1[, "treated"] <- 1
X0 <- X; X0[, "treated"] <- 0
mu1 <- exp(drop(X1 %*% b) + log(panel$population))
mu0 <- exp(drop(X0 %*% b) + log(panel$population))
ame["treated"] <- mean(mu1 - mu0)
grad[["treated"]] <- colMeans(mu1 * X1 - mu0 * X0)
ame_se <- sapply(names(ame), function(v) sqrt(drop(t(grad[[v]]) %*% vcov(pois) %*% grad[[v]])))
ame_se_cl <- sapply(names(ame), function(v) {
  V <- vcovCL(pois, cluster = ~province, type = "HC0", cadjust = TRUE)
  sqrt(drop(t(grad[[v]]) %*% V %*% grad[[v]]))
})

poisson_out <- list(
  data = "data/count_panel.csv",
  fe = list(
    r_call = paste("glm(y ~ x1 + x2 + treated + factor(province) + factor(year), family = poisson,",
                   "offset = log(population), data = panel, control = glm.control(epsilon = 1e-13, maxit = 200))"),
    ours = "mi.poisson('y ~ x1 + x2 + treated | province + year', panel, exposure='population', vcov=...)",
    coef = named17(coef(pois_fe)[slopes]),
    se = list(
      iid = list(r_call = "vcov(fit)", se = se_of(V_iid)),
      CRV1_province = list(r_call = 'sandwich::vcovCL(fit, cluster = ~province, type = "HC0", cadjust = TRUE)',
                           note = "Stata ML convention: G/(G-1), no (N-1)/(N-K)", se = se_of(V_cl)),
      CRV0_province = list(r_call = 'sandwich::vcovCL(fit, cluster = ~province, type = "HC0", cadjust = FALSE)',
                           se = se_of(V_cl0)),
      hetero = list(r_call = 'sandwich::vcovCL(fit, cluster = ~obs, type = "HC0", cadjust = TRUE)',
                    note = "clusters of one observation: N/(N-1) * HC0, Stata poisson vce(robust)",
                    se = se_of(V_het)),
      hetero_check = list(r_call = "sandwich::sandwich(fit) * n / (n - 1)", se = se_of(V_het2)),
      CRV1_province_year = list(
        r_call = 'sandwich::vcovCL(fit, cluster = ~province + year, type = "HC0", cadjust = TRUE)',
        note = "each of the three terms with its own G/(G-1)", se = se_of(V_2way))
    ),
    loglik = num17(as.numeric(logLik(pois_fe))),
    deviance = num17(deviance(pois_fe)),
    null_deviance = num17(pois_fe$null.deviance),
    aic = num17(AIC(pois_fe)),
    nobs = n, n_clusters = G
  ),
  pooled = list(
    r_call = paste("glm(y ~ x1 + x2 + treated, family = poisson, offset = log(population), data = panel,",
                   "control = glm.control(epsilon = 1e-13, maxit = 200))"),
    coef = named17(coef(pois)),
    se_iid = se_of(vcov(pois)),
    loglik = num17(as.numeric(logLik(pois))),
    deviance = num17(deviance(pois)),
    null_deviance = num17(pois$null.deviance),
    ame = list(
      method = paste("by hand: x1, x2 derivative mean(mu) * b; treated discrete change mean(mu(1) - mu(0));",
                     "delta method with the analytical gradient, vcov(fit) and vcovCL(province, HC0, cadjust)"),
      estimate = named17(ame), se_iid = named17(ame_se), se_CRV1_province = named17(ame_se_cl)
    )
  )
)

# -- 2. NB2: MASS::glm.nb ------------------------------------------------------------
data(quine, package = "MASS")
write.csv(quine, file.path(here, "data", "quine.csv"), row.names = FALSE, quote = FALSE)
nb_q <- glm.nb(Days ~ Eth + Sex + Age + Lrn, data = quine, control = tight)
nq <- nrow(quine)
nb_fe <- glm.nb(y ~ x1 + x2 + treated + factor(province) + factor(year) + offset(log(population)),
                data = panel, control = tight)
# glm.nb's SE.theta is 1/sqrt(observed information) evaluated inside the last
# theta.ml call, i.e. at the theta *before* its last Newton update (theta.ml stops
# when the step is below .Machine$double.eps^0.25). The same formula at the final
# theta, which is what massincidents reports:
theta_info <- function(th, mu, y) {
  sum(-trigamma(th + y) + trigamma(th) - 1 / th + 2 / (mu + th) - (y + th) / (mu + th)^2)
}
se_theta_final <- function(fit) 1 / sqrt(theta_info(fit$theta, fitted(fit), fit$y))
negbin_out <- list(
  quine = list(
    data = "data/quine.csv",
    r_call = "MASS::glm.nb(Days ~ Eth + Sex + Age + Lrn, data = quine, control = glm.control(epsilon = 1e-13, maxit = 200))",
    note = "R factor levels: Eth A/N, Sex F/M, Age F0-F3, Lrn AL/SL; EthN is formulaic's Eth[T.N]",
    coef = named17(coef(nb_q)),
    se_iid = list(r_call = "sqrt(diag(vcov(fit)))  (summary.negbin: dispersion 1, at the final theta)",
                  se = se_of(vcov(nb_q))),
    se_hetero = list(r_call = "sandwich::sandwich(fit) * n / (n - 1)", se = se_of(sandwich(nb_q) * nq / (nq - 1))),
    theta = num17(nb_q$theta), se_theta = num17(nb_q$SE.theta),
    se_theta_at_final = list(r_call = "1 / sqrt(theta_info(fit$theta, fitted(fit), fit$y))  (theta.ml's info)",
                             value = num17(se_theta_final(nb_q))),
    loglik = num17(as.numeric(logLik(nb_q))), twologlik = num17(nb_q$twologlik),
    aic = num17(AIC(nb_q)), deviance = num17(deviance(nb_q))
  ),
  panel_fe = list(
    data = "data/count_panel.csv",
    r_call = paste("MASS::glm.nb(y ~ x1 + x2 + treated + factor(province) + factor(year) + offset(log(population)),",
                   "data = panel, control = glm.control(epsilon = 1e-13, maxit = 200))"),
    coef = named17(coef(nb_fe)[slopes]),
    se_iid = se_of(vcov(nb_fe)[slopes, slopes]),
    se_CRV1_province = list(r_call = 'sandwich::vcovCL(fit, cluster = ~province, type = "HC0", cadjust = TRUE)',
                            se = se_of(vcovCL(nb_fe, cluster = ~province, type = "HC0", cadjust = TRUE)[slopes, slopes])),
    theta = num17(nb_fe$theta), se_theta = num17(nb_fe$SE.theta),
    se_theta_at_final = list(r_call = "1 / sqrt(theta_info(fit$theta, fitted(fit), fit$y))  (theta.ml's info)",
                             value = num17(se_theta_final(nb_fe))),
    loglik = num17(as.numeric(logLik(nb_fe)))
  )
)

# -- 3. Zero-inflated Poisson and NB: pscl::zeroinfl ---------------------------------
data(bioChemists, package = "pscl")
bc <- data.frame(art = bioChemists$art,
                 fem = as.integer(bioChemists$fem == "Women"),
                 mar = as.integer(bioChemists$mar == "Married"),
                 kid5 = bioChemists$kid5, phd = sprintf("%.17g", bioChemists$phd),
                 ment = bioChemists$ment)
write.csv(bc, file.path(here, "data", "biochemists.csv"), row.names = FALSE, quote = FALSE)
bc <- read.csv(file.path(here, "data", "biochemists.csv"))
nbc <- nrow(bc)
zi_control <- zeroinfl.control(method = "BFGS", reltol = 1e-15, maxit = 10000)
zi <- function(formula, dist) {
  fit <- zeroinfl(formula, data = bc, dist = dist, control = zi_control)
  V <- vcov(fit)
  rename <- function(x) sub("\\(Intercept\\)", "Intercept", x)
  b <- coef(fit); names(b) <- rename(names(b))
  se <- sqrt(diag(V)); names(se) <- rename(names(se))
  out <- list(
    r_call = sprintf('pscl::zeroinfl(%s, data = bc, dist = "%s", control = zeroinfl.control(method = "BFGS", reltol = 1e-15, maxit = 10000))',
                     deparse(formula), dist),
    coef = lapply(b, num17), se = lapply(se, num17),
    loglik = num17(as.numeric(logLik(fit))),
    converged = fit$converged,
    hessian_note = "pscl inverts optim()'s numerical Hessian (finite differences of the analytical gradient, ndeps 1e-3)"
  )
  # The same fit with optim's Hessian from finer finite differences (ndeps 1e-5,
  # passed through zeroinfl.control to optim): accurate to ~1e-9.
  p <- length(fit$optim$par)
  fine <- zeroinfl(formula, data = bc, dist = dist,
                   control = zeroinfl.control(method = "BFGS", reltol = 1e-15, maxit = 10000,
                                              start = list(count = fit$coefficients$count,
                                                           zero = fit$coefficients$zero,
                                                           theta = fit$theta),
                                              ndeps = rep(1e-5, p)))
  se_fine <- sqrt(diag(vcov(fine))); names(se_fine) <- rename(names(se_fine))
  out$se_fine_hessian <- list(
    r_call = "the same call with zeroinfl.control(..., start = <the estimates>, ndeps = rep(1e-5, p))",
    se = lapply(se_fine, num17), coef = lapply(setNames(coef(fine), names(b)), num17))
  if (dist == "negbin") out$se_logtheta_fine_hessian <- num17(fine$SE.logtheta)
  if (dist == "poisson") {
    S <- sandwich(fit) * nbc / (nbc - 1)
    se_h <- sqrt(diag(S)); names(se_h) <- rename(names(se_h))
    out$se_hetero <- list(r_call = "sandwich::sandwich(fit) * n / (n - 1)", se = lapply(se_h, num17))
  } else {
    out$theta <- num17(fit$theta)
    out$se_logtheta <- num17(fit$SE.logtheta)
  }
  out
}
zero_out <- list(
  data = "data/biochemists.csv",
  zip_const = zi(art ~ fem + mar + kid5 + phd + ment | 1, "poisson"),
  zinb_const = zi(art ~ fem + mar + kid5 + phd + ment | 1, "negbin"),
  zip_ment = zi(art ~ fem + mar + kid5 + phd + ment | ment, "poisson"),
  zinb_ment = zi(art ~ fem + mar + kid5 + phd + ment | ment, "negbin")
)

out <- list(
  description = "Reference estimates for massincidents.counts (tests/counts/test_reference.py)",
  generated_by = "tests/reference/counts_reference.R",
  r_version = R.version.string,
  packages = list(MASS = as.character(packageVersion("MASS")),
                  pscl = as.character(packageVersion("pscl")),
                  sandwich = as.character(packageVersion("sandwich")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  data = list(
    count_panel = paste("data/count_panel.csv: written by tests/reference/make_count_panel.py,",
                        "mi.datasets.simulate_panel(n_provinces=31, n_years=12, seed=20240611):",
                        "NB2 counts y, exposure population, true x1 = 0.3, x2 = -0.2, treated = 0.2"),
    quine = "data/quine.csv: MASS::quine (Venables and Ripley 2002, Modern Applied Statistics with S)",
    biochemists = paste("data/biochemists.csv: pscl::bioChemists (Long 1990, 1997), with fem = 1 for",
                        "Women and mar = 1 for Married as 0/1 columns; phd with 17 significant digits")
  ),
  poisson = poisson_out,
  negbin = negbin_out,
  zero_inflated = zero_out
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, null = "null", json_verbatim = TRUE),
           file.path(here, "counts_reference.json"))
cat("wrote", file.path(here, "counts_reference.json"), "\n")

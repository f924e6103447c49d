# Reference numbers for massincidents.arellano_bond (difference and system GMM),
# computed with R plm's pgmm on plm's EmplUK data (Arellano and Bond 1991).
#
#   Rscript tests/reference/plm_pgmm.R      (from anywhere)
#
# writes tests/reference/data/emplUK.csv (firm, year and the logs of emp, wage,
# capital, output, 17 significant digits; 140 firms, 1976-1984, unbalanced)
# and tests/reference/plm_pgmm.json: for every model the exact R call, the
# coefficients, robust SEs (summary(m, robust = TRUE): vcovHC.pgmm, Windmeijer
# 2005 for two-step), non-robust SEs, plm's "Sargan" test (sargan(m): the
# Hansen J with the two-step weighting matrix), the Arellano-Bond tests
# (mtest with robust and with non-robust variance), nobs(m) and the number of
# instruments, all with 17 significant digits. Tests read the JSON, never R.
#
# Coefficient names are written in massincidents' convention:
#   lag(log_emp, 1:2)1 -> lag(log_emp, 1);  lag(log_wage, 0:1)0 -> log_wage;
#   time dummy 1980 -> year[1980];  (Intercept) -> Intercept;  trend -> year (the numeric
#   year, which massincidents takes from the time column).
#
# Non-robust one-step variance: plm's vcov(m) is B1 = (X'W A1 W'X)^{-1} with
# A1 = N (sum_i W_i' H W_i)^{-1}, which omits the error variance. The JSON
# stores it ("se_plm_vcov") and also the classical one-step variance
#   sigma2 * N * vcov(m),  sigma2 = sum(e_i' e_i) / sum(trace of H on used rows),
# ("se_nonrobust"), which is what massincidents reports with robust=False.
# The classical Sargan statistic is  z' (sum_i W_i' H W_i)^{-1} z / sigma2 with
# z = sum_i W_i' e_i from one-step residuals = sargan(m1, "onestep") / N / sigma2.

suppressPackageStartupMessages({
  library(plm)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

data("EmplUK", package = "plm")
d <- data.frame(
  firm = EmplUK$firm, year = EmplUK$year,
  log_emp = log(EmplUK$emp), log_wage = log(EmplUK$wage),
  log_capital = log(EmplUK$capital), log_output = log(EmplUK$output)
)
csv <- data.frame(firm = d$firm, year = d$year)
for (v in c("log_emp", "log_wage", "log_capital", "log_output")) csv[[v]] <- sprintf("%.17g", d[[v]])
write.csv(csv, file.path(here, "data", "emplUK.csv"), row.names = FALSE, quote = FALSE)
# re-read so R estimates from exactly the numbers in the CSV
d <- read.csv(file.path(here, "data", "emplUK.csv"))
# a linear trend: the year as a number (massincidents: the time column "year" as a regressor)
d$trend <- d$year
pd <- pdata.frame(d, index = c("firm", "year"))
# a panel with gaps inside firms: drop 1980 for firms 1-10 and 1982 for firms 20-25
gap_drop <- (d$firm <= 10 & d$year == 1980) | (d$firm >= 20 & d$firm <= 25 & d$year == 1982)
pd_gap <- pdata.frame(d[!gap_drop, ], index = c("firm", "year"))

num17 <- function(x) structure(sprintf("%.17g", x), class = "json")
ournames <- function(n) {
  out <- n
  m <- regmatches(n, regexec("^lag\\((\\w+), [0-9]+:[0-9]+\\)([0-9]+)$", n))
  for (i in seq_along(n)) {
    if (length(m[[i]])) {
      out[i] <- if (m[[i]][3] == "0") m[[i]][2] else sprintf("lag(%s, %s)", m[[i]][2], m[[i]][3])
    } else if (grepl("^[0-9]{4}$", n[i])) {
      out[i] <- sprintf("year[%s]", n[i])
    } else if (n[i] == "(Intercept)") {
      out[i] <- "Intercept"
    } else if (n[i] == "trend") out[i] <- "year"
  }
  out
}
named17 <- function(b, nm = names(b)) setNames(lapply(unname(b), num17), ournames(nm))

AB <- "log_emp ~ lag(log_emp, 1:2) + lag(log_wage, 0:1) + log_capital + lag(log_output, 0:1) | lag(log_emp, 2:99)"
BB <- "log_emp ~ lag(log_emp, 1) + lag(log_wage, 0:1) + lag(log_capital, 0:1) | lag(log_emp, 2:99) + lag(log_wage, 2:99) + lag(log_capital, 2:99)"
TREND <- "log_emp ~ lag(log_emp, 1:2) + lag(log_wage, 0:1) + log_capital + trend | lag(log_emp, 2:99)"
STD <- "log_emp ~ lag(log_emp, 1:2) + lag(log_wage, 0:1) + log_capital | lag(log_emp, 2:99) | lag(log_wage, 0:1) + log_capital"

specs <- list(
  ab_onestep = list(f = AB, data = "pd", args = 'effect = "twoways", model = "onestep"'),
  ab_twosteps = list(f = AB, data = "pd", args = 'effect = "twoways", model = "twosteps"'),
  ab_onestep_individual = list(f = AB, data = "pd", args = 'effect = "individual", model = "onestep"'),
  ab_twosteps_collapse = list(f = AB, data = "pd", args = 'effect = "twoways", model = "twosteps", collapse = TRUE'),
  ab_onestep_collapse = list(f = AB, data = "pd", args = 'effect = "twoways", model = "onestep", collapse = TRUE'),
  ab_std_instruments = list(f = STD, data = "pd", args = 'effect = "twoways", model = "twosteps"'),
  ab_gaps = list(f = AB, data = "pd_gap", args = 'effect = "twoways", model = "twosteps"'),
  bb_onestep = list(f = BB, data = "pd", args = 'effect = "twoways", model = "onestep", transformation = "ld"'),
  bb_twosteps = list(f = BB, data = "pd", args = 'effect = "twoways", model = "twosteps", transformation = "ld"'),
  bb_twosteps_collapse = list(f = BB, data = "pd", args = 'effect = "twoways", model = "twosteps", transformation = "ld", collapse = TRUE'),
  ab_trend_onestep = list(f = TREND, data = "pd", args = 'effect = "individual", model = "onestep"'),
  ab_trend_twosteps = list(f = TREND, data = "pd", args = 'effect = "individual", model = "twosteps"')
)

models <- list()
for (name in names(specs)) {
  s <- specs[[name]]
  call <- sprintf("pgmm(%s, data = %s, %s)", s$f, s$data, s$args)
  m <- eval(parse(text = call))
  ctr <- vcovHC(m)
  K <- length(coef(m))
  N <- length(m$W)
  se_r <- sqrt(diag(ctr)); se_nr <- sqrt(diag(m$vcov))
  sg <- sargan(m)
  m1r <- mtest(m, order = 1, vcov = ctr); m2r <- mtest(m, order = 2, vcov = ctr)
  m1n <- mtest(m, order = 1); m2n <- mtest(m, order = 2)
  entry <- list(
    call = call,
    data = if (s$data == "pd") "emplUK.csv" else "emplUK.csv without (firm <= 10, year 1980) and (20 <= firm <= 25, year 1982)",
    coef = named17(coef(m)),
    se_robust = named17(se_r, names(coef(m))),
    se_robust_call = "sqrt(diag(vcovHC(m)))  (= summary(m, robust = TRUE))",
    sargan = num17(sg$statistic), sargan_df = num17(sg$parameter), sargan_p = num17(sg$p.value),
    sargan_call = "sargan(m)  (two-step weights: Hansen J)",
    ar1_robust = num17(m1r$statistic), ar1_robust_p = num17(m1r$p.value),
    ar2_robust = num17(m2r$statistic), ar2_robust_p = num17(m2r$p.value),
    ar_robust_call = "mtest(m, order = 1 or 2, vcov = vcovHC(m))",
    ar1_nonrobust = num17(m1n$statistic), ar2_nonrobust = num17(m2n$statistic),
    ar_nonrobust_call = "mtest(m, order = 1 or 2)",
    nobs = nobs(m), n_groups = sum(vapply(m$residuals, function(e) any(e != 0), TRUE)), n_instruments = ncol(m$W[[1]])
  )
  if (grepl("onestep", s$args)) {
    # classical one-step variance and Sargan (see the header)
    trH <- 0
    e <- m$residuals
    tt <- length(e[[1]])
    H <- if (grepl("ld", s$args)) plm:::FSM((tt + 1) / 2, "full") else tcrossprod(diff(diag(1, tt + 1)))
    for (i in seq_len(N)) {
      used <- e[[i]] != 0
      trH <- trH + sum(diag(H)[used])
    }
    sigma2 <- sum(unlist(e)^2) / trH
    v_cl <- sigma2 * N * m$vcov
    s_cl <- sargan(m, "onestep")$statistic / N / sigma2
    entry$sigma2 <- num17(sigma2)
    entry$se_nonrobust <- named17(sqrt(diag(v_cl)), names(coef(m)))
    entry$se_nonrobust_call <- "sqrt(diag(sigma2 * N * vcov(m)))  (see header)"
    entry$se_plm_vcov <- named17(se_nr, names(coef(m)))
    entry$sargan_classical <- num17(s_cl)
    a1c <- mtest(m, order = 1, vcov = v_cl); a2c <- mtest(m, order = 2, vcov = v_cl)
    entry$ar1_classical <- num17(a1c$statistic); entry$ar2_classical <- num17(a2c$statistic)
    entry$ar_classical_call <- "mtest(m, order = 1 or 2, vcov = sigma2 * N * vcov(m))"
    entry$sargan_classical_call <- "sargan(m, \"onestep\")$statistic / N / sigma2"
  } else {
    entry$se_nonrobust <- named17(se_nr, names(coef(m)))
    entry$se_nonrobust_call <- "sqrt(diag(vcov(m)))  (uncorrected two-step)"
  }
  models[[name]] <- entry
}

out <- list(
  source = "R plm pgmm on plm's EmplUK (Arellano and Bond 1991); script tests/reference/plm_pgmm.R",
  R = R.version.string,
  plm = as.character(packageVersion("plm")),
  jsonlite = as.character(packageVersion("jsonlite")),
  models = models
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, digits = NA), file.path(here, "plm_pgmm.json"))

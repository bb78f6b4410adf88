// Vital signs, laboratory tests and clinical abbreviations shared by the conditions table and the note renderer.

export type VitalName = "hr" | "sbp" | "dbp" | "rr" | "temp" | "spo2";

/** A closed range [low, high] in the measurement's unit. */
export type Range = readonly [number, number];

/** Normal resting vital signs; children under 12 breathe and beat faster and run lower pressures. */
export const ADULT_VITALS: Readonly<Record<VitalName, Range>> = {
  hr: [62, 92],
  sbp: [112, 134],
  dbp: [66, 84],
  rr: [12, 18],
  temp: [36.3, 37.2],
  spo2: [96, 99],
};

export const CHILD_VITALS: Readonly<Record<VitalName, Range>> = {
  hr: [85, 125],
  sbp: [90, 108],
  dbp: [54, 68],
  rr: [18, 28],
  temp: [36.4, 37.3],
  spo2: [96, 99],
};

export interface LabTest {
  /** How notes name it in full. */
  readonly name: string;
  /** How terse notes name it. */
  readonly abbr: string;
  readonly unit: string;
  readonly normal: Range;
  readonly decimals: number;
}

export type LabName =
  | "wbc"
  | "hb"
  | "plt"
  | "na"
  | "k"
  | "creat"
  | "urea"
  | "glucose"
  | "crp"
  | "troponin"
  | "bnp"
  | "lactate"
  | "alt"
  | "bili"
  | "lipase"
  | "tsh"
  | "ft4"
  | "ddimer"
  | "ph"
  | "ketones"
  | "inr"
  | "albumin"
  | "ferritin"
  | "mcv"
  | "neut"
  | "esr"
  | "urate"
  | "calcium"
  | "ldh"
  | "hcg"
  | "csfWbc"
  | "blasts";

export const LABS: Readonly<Record<LabName, LabTest>> = {
  wbc: { name: "white cell count", abbr: "WBC", unit: "x10^9/L", normal: [4.5, 10.5], decimals: 1 },
  hb: { name: "haemoglobin", abbr: "Hb", unit: "g/dL", normal: [12.2, 15.8], decimals: 1 },
  plt: { name: "platelets", abbr: "Plt", unit: "x10^9/L", normal: [160, 390], decimals: 0 },
  na: { name: "sodium", abbr: "Na", unit: "mmol/L", normal: [136, 144], decimals: 0 },
  k: { name: "potassium", abbr: "K", unit: "mmol/L", normal: [3.6, 4.9], decimals: 1 },
  creat: { name: "creatinine", abbr: "Cr", unit: "umol/L", normal: [62, 105], decimals: 0 },
  urea: { name: "urea", abbr: "Ur", unit: "mmol/L", normal: [2.8, 7.2], decimals: 1 },
  glucose: { name: "glucose", abbr: "BG", unit: "mmol/L", normal: [4.2, 7.4], decimals: 1 },
  crp: { name: "C-reactive protein", abbr: "CRP", unit: "mg/L", normal: [0, 5], decimals: 0 },
  troponin: { name: "troponin", abbr: "trop", unit: "ng/L", normal: [2, 12], decimals: 0 },
  bnp: { name: "BNP", abbr: "BNP", unit: "pg/mL", normal: [10, 90], decimals: 0 },
  lactate: { name: "lactate", abbr: "lac", unit: "mmol/L", normal: [0.6, 1.8], decimals: 1 },
  alt: { name: "ALT", abbr: "ALT", unit: "U/L", normal: [10, 38], decimals: 0 },
  bili: { name: "bilirubin", abbr: "bili", unit: "umol/L", normal: [4, 19], decimals: 0 },
  lipase: { name: "lipase", abbr: "lip", unit: "U/L", normal: [12, 58], decimals: 0 },
  tsh: { name: "TSH", abbr: "TSH", unit: "mU/L", normal: [0.5, 3.8], decimals: 2 },
  ft4: { name: "free T4", abbr: "fT4", unit: "pmol/L", normal: [11, 21], decimals: 0 },
  ddimer: { name: "D-dimer", abbr: "DD", unit: "ng/mL", normal: [80, 450], decimals: 0 },
  ph: { name: "pH", abbr: "pH", unit: "", normal: [7.36, 7.44], decimals: 2 },
  ketones: { name: "blood ketones", abbr: "ket", unit: "mmol/L", normal: [0, 0.5], decimals: 1 },
  inr: { name: "INR", abbr: "INR", unit: "", normal: [0.9, 1.2], decimals: 1 },
  albumin: { name: "albumin", abbr: "alb", unit: "g/L", normal: [36, 48], decimals: 0 },
  ferritin: { name: "ferritin", abbr: "ferr", unit: "ug/L", normal: [40, 280], decimals: 0 },
  mcv: { name: "MCV", abbr: "MCV", unit: "fL", normal: [82, 98], decimals: 0 },
  neut: { name: "neutrophils", abbr: "neut", unit: "x10^9/L", normal: [2.1, 7.2], decimals: 1 },
  esr: { name: "ESR", abbr: "ESR", unit: "mm/h", normal: [2, 18], decimals: 0 },
  urate: { name: "urate", abbr: "urate", unit: "umol/L", normal: [210, 400], decimals: 0 },
  calcium: { name: "calcium", abbr: "Ca", unit: "mmol/L", normal: [2.2, 2.55], decimals: 2 },
  ldh: { name: "LDH", abbr: "LDH", unit: "U/L", normal: [140, 270], decimals: 0 },
  hcg: { name: "beta-hCG", abbr: "bHCG", unit: "IU/L", normal: [0, 4], decimals: 0 },
  csfWbc: { name: "CSF white cells", abbr: "CSF WCC", unit: "/uL", normal: [0, 4], decimals: 0 },
  blasts: { name: "blood film blasts", abbr: "blasts", unit: "%", normal: [0, 0], decimals: 0 },
};

/**
 * Phrase → abbreviation as clinicians write them in terse notes. Hospitals differ in how
 * many of these they use, so the same condition reads differently from site to site.
 */
export const ABBREVIATIONS: readonly (readonly [string, string])[] = [
  ["shortness of breath", "SOB"],
  ["chest pain", "CP"],
  ["abdominal pain", "abd pain"],
  ["nausea and vomiting", "N/V"],
  ["headache", "HA"],
  ["history of", "h/o"],
  ["complains of", "c/o"],
  ["without", "w/o"],
  ["with", "w/"],
  ["hypertension", "HTN"],
  ["diabetes", "DM"],
  ["atrial fibrillation", "AF"],
  ["myocardial infarction", "MI"],
  ["chronic obstructive pulmonary disease", "COPD"],
  ["chronic kidney disease", "CKD"],
  ["heart failure", "HF"],
  ["electrocardiogram", "ECG"],
  ["chest X-ray", "CXR"],
  ["computed tomography", "CT"],
  ["ultrasound", "US"],
  ["blood pressure", "BP"],
  ["heart rate", "HR"],
  ["respiratory rate", "RR"],
  ["temperature", "T"],
  ["oxygen saturation", "SpO2"],
  ["intravenous", "IV"],
  ["by mouth", "PO"],
  ["twice daily", "BD"],
  ["three times daily", "TDS"],
  ["as needed", "PRN"],
  ["loss of consciousness", "LOC"],
  ["right lower quadrant", "RLQ"],
  ["right upper quadrant", "RUQ"],
  ["left lower quadrant", "LLQ"],
  ["urinary tract infection", "UTI"],
  ["deep vein thrombosis", "DVT"],
  ["pulmonary embolism", "PE"],
  ["years old", "yo"],
  ["weight loss", "wt loss"],
  ["jugular venous pressure", "JVP"],
  ["no known drug allergies", "NKDA"],
  ["emergency department", "ED"],
  ["diarrhoea", "diarrh"],
  ["fever", "pyrexia"],
];

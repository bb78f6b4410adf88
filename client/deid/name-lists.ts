// Word lists for the name detector: people's names from @cspell/dict-people-names, and words that look like names but are not.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

let cached: ReadonlySet<string> | undefined;

/**
 * About 39,000 given names and surnames (cspell's people-names dictionary, MIT), lower-cased.
 * The synthetic PHI corpus draws its names from another source (faker's locales), so that the
 * benchmark does not reward a detector for knowing the generator's list.
 */
export function peopleNames(): ReadonlySet<string> {
  if (cached === undefined) {
    const require = createRequire(import.meta.url);
    const folder = dirname(require.resolve("@cspell/dict-people-names/cspell-ext.json"));
    const text = readFileSync(join(folder, "dict", "people-names.txt"), "utf8");
    cached = new Set(
      text
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("#"))
        .map((line) => line.toLowerCase()),
    );
  }
  return cached;
}

/**
 * Capitalised words that name lists contain but that clinical notes use as words: sentence starters,
 * note headings, departments, months and days, places of care. A name-list hit on one of these is
 * not taken as a name unless a context rule (a title, "seen by …") says it is.
 */
export const NOT_NAMES: ReadonlySet<string> = new Set(
  (
    "a an the and or but if on in at of to for by with from as is was are were be been has had have he she his her him " +
    "they them their we our you your it its this that these those there here then than so no not yes all any each every " +
    "some one two three four five six seven eight nine ten first second third last next new old also only very more most " +
    "mr mrs ms dr miss prof sr mx rev capt nurse sister case patient pt name signed seen per re cc attn note notes plan plans assessment " +
    "impression history hpi pmh psh fh sh ros exam examination vitals labs bloods imaging results result findings " +
    "diagnosis diagnoses medications medication meds allergies allergy social family follow followup discharge " +
    "admission admitted discharged summary triage subjective objective reason complaint chief presenting course " +
    "hospital clinic ward unit bay bed room centre center department service team consult consultant attending " +
    "resident intern registrar fellow doctor physician surgeon provider primary care emergency urgent general " +
    "medicine medical surgery surgical cardiology oncology neurology radiology pathology paediatrics pediatrics " +
    "obstetrics gynaecology gynecology orthopaedics orthopedics psychiatry dermatology nephrology urology " +
    "haematology hematology gastroenterology endocrinology pulmonology respiratory infectious icu ed er or ccu " +
    "nicu picu hdu theatre lab laboratory pharmacy physio physiotherapy dietitian social work chaplain " +
    "january february march april may june july august september october november december " +
    "monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday morning evening night " +
    "asia africa europe america americas australia oceania arctic antarctica christmas easter hope faith grace joy rose lily iris daisy holly ivy heather hazel amber ruby pearl " +
    "chest heart head neck back arm leg hand foot eye ear nose throat skin blood urine stool bone joint " +
    "pain fever cough rash fall well good fair poor stable normal abnormal mild moderate severe acute chronic " +
    "left right bilateral upper lower anterior posterior positive negative high low raised elevated reduced " +
    "will can may might must should would could shall did does do done see saw call called phone fax email " +
    "street road avenue lane drive court way place north south east west city county state zip code " +
    "white black brown green gray grey young long short small large little major minor early late " +
    "bell grave graves parkinson alzheimer crohn cushing addison hodgkin wilson down kawasaki paget raynaud " +
    "bell's down's crohn's hodgkin's wilson's paget's raynaud's cushing's addison's graves' parkinson's alzheimer's " +
    "guillain barre barré gram glasgow apgar doppler foley holter swan ganz kernig brudzinski murphy homan homans " +
    "wife husband son daughter mother father mom mum dad brother partner spouse friend neighbour neighbor " +
    "caregiver carer aunt uncle grandmother grandfather niece nephew cousin guardian " +
    "babinski romberg epley valsalva trendelenburg whipple heimlich beck virchow korotkoff"
  ).split(" "),
);

/** Words after a capitalised word that make it an eponym or a named scale, not a person: "Bell palsy". */
export const EPONYM_NOUNS =
  /^[ -]+(?:disease|syndrome|sign|signs|palsy|test|score|criteria|scale|classification|phenomenon|reflex|manoeuvre|maneuver|tumou?r|lymphoma|lesions?|lines?|cells?|fracture|procedure|operation|catheter|tube|position|triad|law|rule|stain|method|equation|formula|ulcer|node|nodes|disorder|anomaly|cyst|hernia|ligament|sarcoma|angina|encephalopathy|thyroiditis|orthopnoea)\b/i;

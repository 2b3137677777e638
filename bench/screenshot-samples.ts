/** Readable made-up samples of a medical cascade, for the README's screenshots only. */
import type { Sample } from '../src/pipelines/sample.js';

const questions: [string, string, string][] = [
  ['cardiology', 'How should a first-degree AV block found on a routine ECG be followed up in an asymptomatic adult?', 'An isolated first-degree AV block (PR interval above 200 ms) in an asymptomatic adult usually needs no treatment. Review medications that slow AV conduction, check electrolytes, and repeat the ECG at the next routine visit; refer if syncope, higher-degree block or a PR above 300 ms appears.'],
  ['pharmacology', 'Why is the dose of gentamicin based on ideal rather than actual body weight in obese patients?', 'Gentamicin distributes mainly into extracellular water, which does not rise in proportion to fat mass. Dosing on actual weight overestimates its volume of distribution and raises the risk of nephrotoxicity and ototoxicity, so an adjusted or ideal body weight is used and levels are monitored.'],
  ['nephrology', 'What urine findings separate prerenal acute kidney injury from acute tubular necrosis?', 'In prerenal injury the tubules still conserve sodium: fractional excretion of sodium below 1%, high urine osmolality and a bland sediment. Acute tubular necrosis shows a fractional excretion above 2%, isosthenuria and muddy brown granular casts.'],
  ['neurology', 'Which features of a headache call for urgent neuroimaging?', 'Red flags include a sudden thunderclap onset, a new headache after 50, focal neurological signs, papilledema, fever with neck stiffness, headache worse on lying down or with Valsalva, and a change in a known headache pattern. Any of these warrants urgent CT or MRI.'],
  ['dermatology', 'How is a suspicious pigmented lesion assessed with the ABCDE rule?', 'Look for Asymmetry, irregular Borders, more than one Colour, a Diameter above 6 mm and Evolution over time. Any of these, or a lesion that looks unlike the patient\'s other moles, should be examined with dermoscopy or excised for histology.'],
  ['pediatrics', 'When should a febrile infant under three months be admitted?', 'Every infant under 28 days with a fever of 38 °C or more is admitted for a full sepsis work-up. From 29 to 90 days, low-risk criteria (well appearance, normal urine, normal inflammatory markers) may allow close outpatient follow-up; otherwise admit.'],
  ['oncology', 'What is tumour lysis syndrome and who is at risk?', 'It is the release of potassium, phosphate and nucleic acids from rapidly dying tumour cells, causing hyperkalaemia, hyperphosphataemia, hypocalcaemia and uric acid nephropathy. Risk is highest with bulky, fast-growing haematological cancers treated with effective chemotherapy.'],
  ['radiology', 'Why is ultrasound the first imaging test for suspected acute cholecystitis?', 'Ultrasound shows gallstones, wall thickening, pericholecystic fluid and a sonographic Murphy sign without radiation, at the bedside and at low cost. HIDA scanning is kept for equivocal cases.'],
];

const reasons = ['The answer is accurate and complete.', 'Clear, correct and well grounded.', 'Accurate; could mention follow-up intervals.'];
const rejections = ['Score below min_score 7: the threshold given is wrong (accuracy).', 'Score below min_score 7: the answer omits the key red flags (completeness).', 'Score below min_score 7: the dosing advice is doubtful (accuracy).'];
const difficulties = ['easy', 'medium', 'hard'] as const;
const subtopics = ['first visit', 'follow-up', 'referral'];
const taskTypes = ['explain', 'decide', 'compare', 'summarise'];

export function* screenshotSamples(runId: string, count: number): Generator<Sample> {
  for (let index = 0; index < count; index++) {
    const [topic, instruction, output] = questions[index % questions.length]!;
    const approved = (index * 7) % 9 > 1;
    const overall = approved ? 7 + ((index * 3) % 4) * 0.8 : 2.5 + ((index * 5) % 8) * 0.5;
    yield {
      id: `${runId}-${index}`,
      instruction: index < questions.length ? instruction : `${instruction} (case ${index})`,
      input: '',
      output,
      reasoning: '',
      difficulty: difficulties[index % 3]!,
      topic,
      source: { domain: 'medical', topic, subtopic: subtopics[index % 3]!, task_type: taskTypes[index % 4]!, run: runId, pipeline: 'cascade' },
      scores: { overall, accuracy: approved ? 8 : overall, completeness: approved ? 8 : overall },
      status: approved ? 'approved' : 'rejected',
      review: { by: 'judge', model: 'claude-haiku-4-5', reason: approved ? reasons[index % 3]! : rejections[index % 3]!, at: '2026-12-03T10:00:00.000Z' },
    };
  }
}

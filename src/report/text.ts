/**
 * What the figures of a report show and what they do not, in plain words, as a forensic
 * laboratory would state them. The paragraphs that apply to this report are chosen from its data
 * (a CNN paragraph only when a network was used, the search paragraph only when the database was
 * searched, …); the figures quoted come from the data too.
 */
import type { ReportData } from './collect.js';
import { esc } from './escape.js';

export function explanations(data: ReportData): string {
  const t = data.settings.threshold;
  const matched = [
    ...new Set(
      data.questioned.flatMap((q) => q.results.filter((r) => r.comparable && r.match).map((r) => r.camera)),
    ),
  ];
  const compared = data.fingerprints.map((f) => f.record.camera);
  const example = matched[0] ?? compared[0] ?? 'camera X';
  const parts: string[] = [];

  parts.push(`<h3>6.1 What a PRNU match shows</h3>
  <p>Every camera sensor responds to light with a small, fixed, pixel-by-pixel non-uniformity (photo-response
  non-uniformity, PRNU) that is left in every photo the sensor takes. A camera’s fingerprint is estimated from
  photos known to come from it (section 4). A PCE above the threshold τ = ${t} for a camera — for example
  ${esc(example)} — means that this sensor pattern is present in the questioned photo, aligned as the camera
  would leave it. The figure P<sub>FA</sub> beside it is the probability that a photo from a camera other than
  that one would give so high a PCE by chance, computed from a model in which unrelated noise patterns
  correlate as independent Gaussian noise. The model is optimistic near the threshold: in the large published
  test of the method (Goljan, Fridrich and Filler 2009, about one million photos from about 7,000 cameras) the
  observed false-alarm rate at τ = 60 was of the order of 10<sup>−5</sup>, far above the model’s figure, mostly
  because of traces shared by cameras of one model. A P<sub>FA</sub> near the threshold is therefore a lower
  bound of the real risk; values far beyond it (PCE in the hundreds or thousands, P<sub>FA</sub> such as
  10<sup>−50</sup>) should be read as “far beyond chance”, not as exact frequencies.</p>
  <p>The fingerprint is a property of one sensor, not of a camera model: two units of the same model have
  different fingerprints${compared.length > 1 ? ', as the figures against the other cameras compared in this report illustrate' : ''}.
  The match therefore points to the individual device whose photos made the fingerprint. That this device is a
  particular seized or named camera rests on how the reference photos were obtained, which this report does
  not establish: the fingerprints’ source images are listed by SHA-256 in Appendix A so that their custody can
  be checked.</p>`);

  parts.push(`<h3>6.2 What a PRNU match does not show</h3>
  <ul>
    <li>Who took the photo, when, or where. PRNU identifies a sensor, not a person; dates in a file’s metadata
    can be changed (6.5).</li>
    <li>That the photo is unaltered. A match is compatible with cropping, resizing back to the sensor grid,
    re-compression and local retouching; a region that was pasted in or heavily edited may not carry the
    pattern, and this comparison is made over the whole photo: it does not locate or exclude local edits.</li>
    <li>Anything about cameras that were not compared. The comparison covers only the fingerprints listed in
    section 4${data.settings.cameras === null ? ' (the whole database, section 6.4)' : ''}. A photo does not carry two unrelated sensor
    patterns at match strength, but weak correlations can be shared by cameras of one model (the same
    demosaicing or JPEG processing leaves common traces). The estimation removes most of these (zero-mean
    and Wiener steps, section 5), and the PCE against the other cameras compared here shows the margin
    that remains; a camera of the same model not in the database has not been excluded by measurement.</li>
  </ul>`);

  parts.push(`<h3>6.3 What “no match” means</h3>
  <p>A PCE below τ is <b>inconclusive</b>, not evidence that another camera took the photo. The sensor pattern
  is weakened or removed by strong JPEG compression, resizing or digital zoom, heavy noise reduction,
  correction of lens distortion, very dark, saturated or strongly textured content, and by any geometric
  change the search did not cover (scaling, rotation by an angle other than a multiple of 90°, a crop of a
  photo from another resolution). A photo whose size fits no fingerprint in any orientation is reported as
  not comparable, with the reason.</p>`);

  if (data.settings.cameras === null) {
    parts.push(`<h3>6.4 The database search</h3>
    <p>When a case names no camera, every fingerprint in the database is first ranked by a compact digest of
    its strongest values, and the best-ranked are re-tested with the full detector, which alone decides. The
    ranking was checked against testing every fingerprint in full; a camera that was not re-tested is not
    listed, and its PCE is unknown. A match found this way is stated with the false-alarm probability of the
    full detector; the number of fingerprints searched is given for each photo.</p>`);
  }

  parts.push(`<h3>6.5 Header evidence (EXIF, JPEG) and defective pixels</h3>
  <ul>
    <li>EXIF fields (make, model, serial number, software, dates) are written by the camera but can be changed
    with ordinary software without leaving a trace; dates carry no time zone. They are consistent with a
    source, never proof of one, and their absence is common after transfer through messaging or web services.</li>
    <li>The JPEG quality figure is the nearest quality on the libjpeg scale, a comparison figure: cameras use
    their own tables. Tables identical to a reference camera’s are consistent with that camera’s model and
    firmware, shared by every unit of the model (and by any software that writes the same tables); re-saving
    replaces them.</li>
    <li>“Signs” of editing (an editor named in Software, dates that differ, missing thumbnail, optimised
    Huffman tables, …) are reasons to look closer, not findings.</li>
    <li>A defective-pixel match states how unlikely it is that another camera’s photo shows as many of the
    map’s defects by accident. No match is not evidence of another camera: firmware can map defects out, and
    a defect in a bright or saturated region does not show.</li>
  </ul>`);

  if (data.model !== null) {
    parts.push(`<h3>6.6 The convolutional network’s top-5</h3>
    <p>The network (${esc(data.model.network)}, ${data.model.classes.length} classes) scores which of the classes it was
    trained on the photo’s noise pattern most resembles. This is statistical evidence at the level of its
    training classes, usually camera models, and weaker than a PRNU match: the scores are the network’s
    outputs, not calibrated probabilities; it cannot name a camera outside its classes (it always answers one of
    them); and it has no false-alarm rate comparable to the PCE detector’s. Its accuracy on held-out photos is
    given in section 5 where it was measured. It is reported for orientation and must not decide the question
    on its own.</p>`);
  }

  parts.push(`<h3>${data.model !== null ? '6.7' : '6.6'} Reproducibility and error</h3>
  <p>The figures are computed from the files as hashed (section 2) and the fingerprints as stored (by data
  SHA-256, section 4), with the parameters of section 5; anyone with the same material obtains the same
  figures with the same software version. The threshold τ = ${t} fixes the false-alarm rate of the decision
  itself (stated per photo in section 3); the rate of missed matches depends on the photo’s content and
  processing and is not estimated for an individual photo.</p>`);

  return parts.join('\n');
}

/**
 * The sentences the simple engine's "text" mode strings together, and (with
 * {@link vocabularyText}) the corpus `scripts/build-default-tokenizer.ts` trains the built-in
 * default model's tokenizer on. Written for servingkit; no third-party text.
 */

/** Plausible English sentences, one idea each, in no particular order. */
export const sentences: readonly string[] = [
  "The model reads the prompt and answers one token at a time.",
  "A small river runs past the old mill at the edge of the village.",
  "Every request waits in the queue until the scheduler finds room for it.",
  "The weather turned cold in the evening, so we lit a fire and read.",
  "Good tests fail loudly when the behaviour they describe is broken.",
  "She planted tomatoes, beans and basil in the garden behind the house.",
  "The server streams each new piece of text as soon as it is ready.",
  "Mountains look closer than they are when the air is clear and dry.",
  "A cache keeps recent answers close so the next request is faster.",
  "He walked to the station early and watched the trains come and go.",
  "Clear names make a program easier to read than long comments do.",
  "The library opens at nine and closes at six on most weekdays.",
  "Latency is the time between asking a question and seeing the first word.",
  "The children built a tower of blocks that was taller than the table.",
  "Throughput counts how many tokens the engine produces every second.",
  "Fresh bread from the bakery on the corner smells wonderful in the morning.",
  "A tokenizer turns text into numbers and numbers back into text.",
  "The boat drifted slowly across the lake while the sun went down.",
  "When the cluster is busy, new work has to wait for a free slot.",
  "Our team meets on Tuesday to plan the work for the coming week.",
  "Each layer of the network passes its result to the next one.",
  "The cat slept in a patch of sunlight on the kitchen floor.",
  "A health check tells the platform whether the service can take traffic.",
  "Autumn leaves covered the path in shades of red, orange and gold.",
  "Small steps, taken often, move a large project forward.",
  "The museum keeps maps that are more than three hundred years old.",
  "If the input is too long, the server answers with a clear error.",
  "Rain fell all night, and by morning the streets were shining.",
  "Simple systems are easier to change than clever ones.",
  "The orchestra tuned their instruments before the concert began.",
  "Memory on the device holds the weights and the attention cache.",
  "We followed the trail along the ridge until we reached the summit.",
  "A good example shows the idea in a few lines of code.",
  "The market was full of fruit, fish, flowers and friendly noise.",
  "Batching many requests together keeps the hardware busy.",
  "My grandmother wrote letters by hand and kept every reply.",
  "The answer depends on the question, the context and the settings.",
  "Stars appeared one by one as the sky grew dark over the field.",
  "Logs record what happened so that problems can be found later.",
  "The bridge was painted green and could be seen from far away.",
  "Sampling with a higher temperature makes the text more surprising.",
  "The students asked careful questions about the history of the city.",
  "A seed makes random choices repeat exactly the same way.",
  "Snow covered the hills, and the town became very quiet.",
  "Documentation helps new people understand how the parts fit together.",
  "The cook added salt, pepper and a little lemon to the soup.",
  "Shorter prompts leave more room for the answer in the context window.",
  "The lighthouse has guided ships past the rocks for many years.",
  "Version numbers tell users which features they can rely on.",
  "We shared a picnic of cheese, apples and bread under the oak tree.",
  "An embedding places similar texts close together in a vector space.",
  "The wind carried the sound of bells from the distant church.",
  "Retries help when a network call fails for a short time.",
  "The painter mixed blue and yellow to make a bright green.",
  "Secure connections protect the data that travels between machines.",
  "Our neighbour grows roses that bloom from May until October.",
  "The runtime loads the model from storage before it serves requests.",
  "A quiet room and a cup of tea make reading a pleasure.",
  "Metrics show how the service behaves under real load.",
  "The train to the coast leaves at half past ten.",
  "Thank you for the question; here is a short answer.",
  "There are four seasons, twelve months and seven days in a week.",
  "In 2024 the project had 15 contributors and 3 major releases.",
  "Please check the value, then try the request again.",
];

/**
 * Extra words (numbers, punctuation, common words and the vocabulary of chat and code) that only
 * widen the tokenizer's training corpus, so ordinary prompts split into few tokens.
 */
export const vocabularyText = `
zero one two three four five six seven eight nine ten eleven twelve hundred thousand million
about above across act action add address after again against age ago agree ahead allow almost alone along already also although always among amount animal another any anyone anything appear apply area around arrive art article ask attention available avoid away
baby back bag ball bank base basic bear beat beautiful because become bed before begin behind believe below beside between beyond bill bird bit blood board boat book born both bottom box boy brain break bring brother budget build building business buy
camera campaign can't capital car card care career carry case catch cause cell center central century certain chair chance change character charge check choice choose church citizen claim class clean clearly coach cold collection college color commercial common community company compare computer concern condition conference consider contain continue control cost country couple course court cover create crime cultural culture cup current customer cut
dark data daughter dead deal death debate decade decide decision deep defense degree describe design despite detail determine develop development difference different difficult dinner direction director discover discuss disease doctor dog door draw dream drive drop drug during
each economy edge education effect effort either election else employee energy enjoy enough enter entire environment especially establish even evening event ever every everybody everyone everything evidence exactly example executive exist expect experience expert explain eye
face fact factor fail fall far father fear federal feel feeling few field fight figure fill film final finally financial fine finger finish firm fish floor fly focus follow foot force foreign forget form former forward free front full fund future
game garden gas general generation girl glass goal government ground group grow growth guess gun guy
hair half hand hang happen have head health hear heart heat heavy herself himself history hold hope hospital hot hotel huge human hundred husband
idea identify image imagine impact important improve include including increase indeed indicate individual industry information inside instead institution interest interesting international interview investment involve issue
job join just keep kid kill kind kitchen land language large later laugh law lawyer lay lead leader learn least leave left leg legal less letter level lie light like likely line listen little live local long look lose loss lot love
machine magazine main maintain major majority manage management manager many market marriage material matter maybe mean measure media medical meet meeting member memory mention method middle might military mind minute miss mission modern moment money more morning most mother mouth move movement movie much music myself
nation national natural nature near nearly necessary need network never news newspaper nice night none nor north note nothing notice now
occur offer office officer official often oil ok once only onto operation opportunity order organization other others outside own owner
page pain painting paper parent part participant particular particularly partner party pass past patient pattern pay peace per perform performance perhaps period personal phone physical pick picture piece place plan plant play player point police policy political politics poor popular population position positive possible power practice prepare present president pressure pretty prevent price private probably problem process produce product production professional professor program project property protect prove provide public pull purpose push put
quality quickly quite race radio raise range rate rather reach ready real reality realize really reason receive recent recently recognize record reduce reflect region relate relationship religious remain remember remove report represent require research resource respond rest return reveal rich right rise risk road rock role room rule
safe same save scene school science scientist score sea season seat section security seek seem sell send senior sense series serious serve service set seven several shake share shoot shot shoulder show side sign significant similar since sing single sister sit site situation skill skin social society soldier some somebody someone something sometimes son song soon sort sound source south southern space speak special specific speech spend sport spring staff stage stand standard state statement station stay step still stock store story strategy street strong structure student study stuff style subject success successful such suddenly suffer suggest summer support surface system
table talk task tax teach teacher team technology television tend term test than theory there thing third those though threat through throughout thus together tonight too top total tough toward town trade traditional training travel treat treatment tree trial trip trouble truth try turn
understand unit until upon usually value various very victim view violence visit voice vote wait walk wall want war watch way weapon wear well west western whatever whether white whole wide wife win wind window wish within woman wonder worker would wrong yard yeah yet young yourself
0 1 2 3 4 5 6 7 8 9 10 11 12 16 20 32 42 50 64 100 128 256 512 1000 1024 2048 4096 8192
a an the and or but not no yes if then else when while for with without from to into onto of off on in out up down over under
is are was were be been being have has had do does did will would can could should may might must shall
i you he she it we they me him her us them my your his its our their this that these those what which who whom whose why how where
hello hi hey goodbye thanks thank please sorry welcome okay sure great good bad best better worst worse new old first last next
user assistant system tool tools function functions call calls arguments argument name names value values type types result results
question questions answer answers prompt prompts token tokens text texts word words sentence sentences message messages content
model models server servers client clients request requests response responses error errors status code codes stream streams
json yaml http https grpc rest api url path port host header headers body query json-schema schema object array string number
integer boolean null true false list dict map key keys item items index length size count total max min default option options
time date day days week weeks month months year years hour hours minute minutes second seconds today tomorrow yesterday
write read make made take took give gave get got go went come came see saw know knew think thought say said tell told find found
help helps use used using work works worked run runs ran start started stop stopped end ended open opened close closed
people person man woman child children friend friends family home house city country world life water food fire earth air
big small large little long short high low early late fast slow hot cold warm cool easy hard simple clear happy sad
red orange yellow green blue purple white black brown grey gold silver
python javascript typescript rust go java kubernetes openshift kserve vllm triton caikit tgis ovms mlserver
function() return const let var class import export async await => != == === <= >= && || ++ -- += -= */ /* // # ...
( ) [ ] { } < > , . ; : ! ? ' " - _ = + * / \\ | @ $ % ^ & ~ \`
\n\n  \t
`;

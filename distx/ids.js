// pkg/web/wasm-bytes.js
var M = `\0asm\0\0\0\\\r\`\0\`\`\0\`\0\`\0\`\`|\`\0\`\`\x07|\0\`\x07\0\`\0\`env\fparse_number\0/.\0\b	
\0\0\0\0\0\0\0\x07\v\x07\0\0\fp\0AÀ\0\v\0AÐÀ\0\v\0AÐÀ\0\v\x07x	memory\0\vembed_again\0 \rembed_deliver\0!
embed_free\0"\vembed_input\0#	embed_new\0$\vembed_state\0%
__data_end\v__heap_base	\b\0A\v\v-\f\b
±².XAÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 @@AÈÀ\0-\0\0\r\0AÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 \r\0\v\vA \0AÈÀ\0A\0:\0\0\v÷A\b \0 \0A\bM\x1B! &!@AÌÀ\0(\0"AF\r\0AÌÀ\0!\0@@  ( j"O A\0 k  kq" O\r \0(\0\v"\0(\0"AG\r\f\v\v@  j" O@ \0!\f\v \0(\0!   k6  6\0 \0 6\0\v (\0!\0  G@ \0  k6 \v  \0(\x006\0 \v AÿÿjA|q"\0Av@\0"AFA\0 At \0\f\v\v\vÚAÌÀ\0! &" \0j!@@@@ "(\0"AF\r  F\r \0 M\r\0\v (\0! ( j \0G@ \0 6 \0 6\0  \x006\0\v  ( j6\v ( j! (\0"AF\r \0 ( jG\r  ( j6  6\0\v \0 6 \0A6\0  \x006\0\v  \x006\0 \0 6\0 \0 6\vÎAÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 @@AÈÀ\0-\0\0\r\0AÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 \r\0\v\v  !AÈÀ\0A\0:\0\0 @    K\x1B"@  \0 ü
\0\0\vAÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 @@AÈÀ\0-\0\0\r\0AÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 \r\0\v\v \0 AÈÀ\0A\0:\0\0\v \v´ \0(\0"\x07A\x07M@ \0 \x07Atj"\x07 9  \x07 6 \x07 \0(6 \x07 6 \x07 6\f \x07 6\b@@  j" k" \0Aj"(\0 (\b"kK@   \b (\b!\f\v  F\r\v E\r\0 ( j  ü
\0\0\v   j6\b \0 \0(\0Aj6\0\v\vP\0 \0A¿À\0AA  D\0\0\0\0\0\0\0\0 \0AÃÀ\0AA  D\0\0\0\0\0\0\0\0 \0AÈÀ\0AA  D\0\0\0\0\0\0\0\0\v>\0 (\0AF@ \0  A (\b (\fD\0\0\0\0\0\0\0\0\v \0  A\0AA\0 +\b\v@#\0Ak"$\0 A\bj \0  AA (\b"\0AxG@ \0 (\f'\0\v Aj$\0\v¨	~@ \0)\0B\vQ\r\0 \0A8j!#\0A k"$\0@@@ \0)\0"\x07B
Q@ \0-\0\bAk\vA!@@@@@@A \x07§Ak \x07BX\x1BAk\x07\b\b\0\v A:\0$\f\x07\v A:\0%\f\v@ -\0 \0-\0\b" -\0Mq"E@  :\0 A:\0\f\v  (Aj"A \x1B6\v E!\f\v@ \0(\bAxG@ Aj \0A\bj*\f\v Ax6\v Aj! (AxG@ AA\v  (\f6\b  )7\0\f\v AÈ; A:\0&\f\v@@@ \0(\0\0\v AjAr \0Aj* A6\f\v  \0Aj")\b7  )\x007\v (\0AF@ AjAA\v  )7\b  )7\0\f\vA!  (Aj"A \x1B6\f\vA!\v A j$\0 E\r\0 A\x006 A\x006\0@ \0)\0B
Q@ AÀ\0AAAºÀ\0AD\0\0\0\0\0\0\0\0 A¢À\0A\x07A \0-\0\bAt"\0(¼@ \0(¬@D\0\0\0\0\0\0\0\0\f\vAÀ\0!A\r!@@@@@@@@@A \0)\0"\x07§Ak \x07BX\x1BAk\x07\0\x07\vA¦À\0!A\f!\f\vAÐÀ\0!A!\f\vAÀ\0!A!\v AÀ\0AA  D\0\0\0\0\0\0\0\0\f\v AÀ\0AAA²À\0AD\0\0\0\0\0\0\0\0 AÀ\0A\bA\0AA\0 \0-\0\b¸\f\v AÀ\0AAA«À\0A\x07D\0\0\0\0\0\0\0\0  \0(\f \0( \0( \0( \0($ \0((\f\v AÀ\0AAAÁÀ\0AD\0\0\0\0\0\0\0\0 \0(\bAxF\r AÀ\0AA \0(\f \0(D\0\0\0\0\0\0\0\0\f\v AÀ\0AA \0-\x004At"(@ (ü@D\0\0\0\0\0\0\0\0 \0((AxG@ AÀ\0AA \0(, \0(0D\0\0\0\0\0\0\0\0\v \0(AG@ AÀ\0A \0Aj\x07\v \0-\0 "AG@ AÀ\0A\x07AA Aq\x1BAA\0D\0\0\0\0\0\0\0\0\v \x07BR\r\0 AÀ\0AA\0AA\0 \0+\b\v\v@ (\0"\0E\r\0 (! \0Ak!A!\0@ \0 j" (\0 j6\0 E\r Ak! \0AôG \0A j!\0\r\0\v\v !\v \v\x07~@ \0( A\bF\r\0#\0Ak"$\0A!@@@@@ \0A j"(\0\b\0\v -\0AG!\f\v \0A:\0\f\v \0A:\0\f\v Aj! )!\b@ \0)\0PE@ \0)\b \bQ\r\v \0Aj!\x07 \0(AxG@ \x07AA\v \x07Ax6\0\v \0 \b7\b \0B7\0 (\0AxF\r\0 Aj * \0Aj! \0(AxG@ AA\v  (\f6\b  )7\0\v Aj$\0 E\r\0 A\x006 A\x006\0@ (\0A\x07F@ AÀ\0AAAºÀ\0AD\0\0\0\0\0\0\0\0 A¢À\0A\x07A \0-\0$At"\0(¼@ \0(¬@D\0\0\0\0\0\0\0\0\f\vA¿À\0!AÀ\0!A\r!@@@@@@@@ "\0(\0Ak\0\vAÀ\0!A!\f\vAÛÀ\0!A!\v AÀ\0AA  D\0\0\0\0\0\0\0\0\f\v AÀ\0AAA«À\0A\x07D\0\0\0\0\0\0\0\0  \0(\b \0(\f \0( \0( \0(  \0($\f\v AÀ\0AAA²À\0A\rD\0\0\0\0\0\0\0\0 \0(AxG@ AÀ\0AA \0(  \0($D\0\0\0\0\0\0\0\0\v \0(AxG@ A¢À\0A\x07A \0(\b \0(\fD\0\0\0\0\0\0\0\0\v \0(AxF\r A©À\0AA \0( \0(D\0\0\0\0\0\0\0\0\f\vAÍÀ\0!\v AÀ\0AA AD\0\0\0\0\0\0\0\0 A­À\0A\bA\0AA\0 \0)º \0(AxF\r\0 AµÀ\0AA \0(\b \0(\fD\0\0\0\0\0\0\0\0\v\v@ (\0"\0E\r\0 (! \0Ak!A!\0@ \0 j" (\0 j6\0 E\r Ak! \0AôG \0A j!\0\r\0\v\v !\v \v\b\0 \0 \0\v#\0A k"$\0 (\b"	 ("\x07Atj! \x07 (\f"\fO"
E@ (\0A\0 -\0\fAG\x1B!\v@@@@@  ("\vO\r\0 (\0"\r j-\0\0Aû\0G\r\0 
\r -\0\fAF\r (\b" \x07Aj"M\rA\0!\x07@ Aj" \fO\r 	 Atj!A\0 	 Atj"
(Ak" 
(\0Aj"\bk  \bI  \vKr"\x1B!A \b \rj \x1B!\b@@ 
-\0\fE@  G\r \b  .E\r\f\v  O\r A\bj \b , (\bAF\r Aj" (\f (\x1B  (G@ AA\f\v (  . AjAA\r\vA!\x07 !\v  (\b"K\r\0\v\f\v \0A\x006\0\f\v \x07\r\v \0A\x006\0\f\vA\0! (! \f K@ 	 Atj"(\0A\0 -\0\fAG\x1B!\v@  \vO\r\0  \rj-\0\0Aî\0G\r\0 \0A\x006\0\f\v \0 6 \0 6 \0 \f6\f \0 	6\b \0 \v6 \0 \r6\0\v A j$\0\vÙ		|~#\0A0k"$\0 Aj @@@@@A ("Axs A\0N\x1BAk\0\v +!\v\f\v A\bj!
 ("\b ("j!@@ E@ \b!\f\v \b!@ "	 ",\0\0"A\0N@ Aÿq! Aj\f\v -\0A?q! Aq! A_M@ At r! Aj\f\v -\0A?q Atr! ApI@  A\ftr! Aj\f\v AtAð\0q -\0A?q Atrr! Aj\v" kj!@ A F A	kAIr\r\0 AI\r@ A\bv"AM@ E\r AG A-Gr\r\f\v A G@ A0G Aà\0Gr\r\f\v Aÿq-\0@AqE\r\f\v Aÿq-\0@AqE\r\v  G\r\0\vA\0!	A\0!\f\v  F\r\0@ "Ak",\0\0"A\0H@ A?q Ak"-\0\0"À"\x07A@N@ Aq\f\v \x07A?q Ak"-\0\0"À"\x07A@N@ Aq\f\v \x07A?q Ak"-\0\0A\x07qAtr\vAtr\vAtr!\v@ A F A	kAIr\r\0@ AI\r\0@@ A\bv"\x07AM@ \x07E\r \x07AG\r A-F\r\f\v \x07A F\r \x07A0G\r Aà\0F\r\f\v Aÿq-\0@AqE\r\f\v Aÿq-\0@Aq\r\v  k j!\f\v  G\r\0\v\v 
  	k6 
 \b 	j6\0 A j!
 (\b!A\0!A\0!A\0!	A\0!@ (\f"E@A!\x07A\0!\f\vA!\x07A! !\b !@@@@ -\0\0A+k\0\vA\0!\v Aj!\b Ak"E\r !\v  j!@@ \b 	j"-\0\0A.F\r \b 	Aj"	j G\r\0\vA\0! \f\v Aj!\x07 	As j! 	! \v! \b!\f\vA\0! \b!A\0!\v@  rE\r\0 @@ -\0\0A0kAÿq"\bA
O\r \vD\0\0\0\0\0\0$@¢ \b¸ !\v Aj! Ak"\r\0\v\v @D¹?!\f@ \x07-\0\0A0kAÿq"A
O\r \x07Aj!\x07 \v \f ¸¢ !\v \fD\0\0\0\0\0\0$@£!\f Ak"\r\0\v\v 
 \v \v \x1B9\bB!\r\v 
 \r7\0 ( E@ \0B\x007\0 AjAA\f\v +(!\v AjAA\f\v \0B\x007\0\f\v \0 \v½Bÿÿÿÿÿÿÿÿÿ\0Bÿÿÿÿÿÿÿ÷ÿ\0X~ \0 \v9\bBB\0\v7\0\v A0j$\0\ví\v|~#\0A k"\v$\0 (\b ("Atj! (\0!\x07@@@@@|  (\fO"
E@ (\0A\0 -\0\fAG\x1B!\v@@@@@@  ("O\r\0  \x07j-\0\0"Aí\0M@ A"F\r AÛ\0F\r Aæ\0G\r \0Ax6\0 \0A\0:\0\f\f\v Aî\0F\r Aô\0F\r Aû\0F\r\v \vA\bj! 
A\0 (\0A\0 -\0\fAG\x1B\v!#\0Ak"\r$\0  \x07j!\b@@@  O\r\0A \b  K\x1B!	  k"A\0  M\x1B!@@  	j-\0\0A0kAÿqA	K\r  Aj"G\r\0\v !\v AkAO\r\0 AG@ 	-\0\0A0F\r\v  I@  	j-\0\0"
A.F 
AÅ\0Fr 
Aå\0Fr\r\v    K\x1B"\b|@ B
~ 	-\0\0A0k­Bÿ|! 	Aj!	 \bAk"\b\r\0\v ºD\0\0\0\0\0\0\0\0\v!  j!\f\f\v \rA\bj \x07   \r(\bAqE\r \r(\f"\f I  \fIr\r@@@  \fF@A\0!\f\v \b \b-\0\0A-F"j!\bA\0! \f k k"\x07\r\vA\0!\f\v@@  \bj"-\0\0AßqAÅ\0F\r \x07 Aj"G\r\0\vA\0! \x07!\f\vA\0! \x07Ak F\r\0 \x07 k"
Ak!@@@ Aj"-\0\0A+k\0\v AK\rA\0!  \x07AkG@ 
Ak! Aj!	@ A
l 	-\0\0A0kAÿqj! 	Aj!	 Ak"\r\0\v\vA\0 k!\f\v 
Ak! Aj!\v AK\r E\r\0@ A
l -\0\0A0kAÿqj! Aj! Ak"\r\0\v\v  \bj!A\0!	 !A\0!@ !\x07@@@  \bG@A! \b-\0\0! \bAj!\b A.F\r A0G 	A\0Jr\r\f\v AjA,K\r|@@ E@D\0\0\0\0\0\0ð?!\f\v  Au"s k!\bD\0\0\0\0\0\0ð?!@ D\0\0\0\0\0\0$@¢! \bAk"\b\r\0\v A\0H\r\v  º¢\f\v º £\v"  \x1B!\f\v 	Aj"	AL\r\vB\0!\f\v Ak"
  \x07Aq"\x1B! 
  \x1B! B
~ A0k­Bÿ|! \x07!\f\0\v\0\v  \f6  9\bB!\v  7\0 \rAj$\0 \v(\bE\r \v+\f\vA\0! 
@A\0!A\f\v (\0"A\0 -\0\fAG\x1B! (Ak! Aj! 1\0\fB B Q\v!
  O\r\b  \x07j-\0\0A"G\r\bA  
\x1B"A  
\x1B"I\r\x07 E\r  I\r  G\r\x07\f\v \0Ax6\0 \0A:\0\f\b\v \0Ax6\0\f\x07\v \0Ax6\0\f\vD\0\0\0\0\0\0ø ("E\r\0 \v  \v(\0 \v( \0\v! \0Ax6\0 \0 9\b\f\v  \x07j,\0\0A¿L\r\v@ E\r\0  O@  F\r\f\v  \x07j,\0\0A@H\r\v  \x07j!  k!\v A\0 \x1B! A \x1B!\v \0 A \x1B A\0 \x1B\x1B\v \vA j$\0\v»#\0Ak"$\0 A\fj!@ E\r\0 \0(\0"E\r\0  6\f  l! \0(!\0 A\bj!\v  6\0@ (\f"E\r\0 (\b"E\r\0AÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 @@AÈÀ\0-\0\0\r\0AÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 \r\0\v\v \0 AÈÀ\0A\0:\0\0\v Aj$\0\vÞ\x07~#\0A0k"$\0 Aj A¿À\0AAÀ\0A@@@@@@@@ (Ak\0\v \0A:\0! \0A:\0\0\f\v (!@@@@ ( Ak\0\v (\0\0AóÊÍ\x07s Aj(\0\0AóÒ½ósr\r\f\vA! (\0\0AãÞÕ\x07s Aj"/\0\0AóÊsrE\r (\0\0AíÞ«\x07s /\0\0AìÊsrE\r (\0\0AóÆÉ«s /\0\0AåÜsr\rA!\f\v (\0\0AâÂÛG\rA!A!\v  AÃÀ\0AA´À\0A (\0"!\x07 E\r\f\v  AÃÀ\0AA´À\0A (\0\rA!\f\v Aj" AýÀ\0A\x07\f@ (@ A\fj AÀ\0AA´À\0A\f\v A\x006\f\v  )\f"	7\0  (6\b 	§!\x07\f\v \0B7\0 \0A;  \0 )\x007\b \0 )\b7 \0 )7\f\vA!@@@ \x07Ak\0\vA\0! E\r\f\v (\b!\b (!\v \0 \b6 \0 6\0 \0 :\0  \0 )\x007\b \0 )\b7 \0 )7 \0 E:\0!\f\v \0A:\0! \0 :\0\0\v A0j$\0\vü#\0A0k"$\0@ -\0!E@ A\fj A\bjAÃÀ\0A\f\v Aj" A\bjAýÀ\0A\x07\f (@ A\fj AÀ\0A\f\v Ax6\f\v Aj A\bjA¿À\0A (! ( ! (! \0A\0 ( (\f"AxF"\x1B6 \0A ( \x1B6 \0A\0  \x1B6\f \0A\0  AxF"\x1B6\b \0A  \x1B6 \0A\0  \x1B6\0 A0j$\0\v#\0A0k"$\0 Aj   \f@ ("E@ \0Ax6\0\f\v  (,6  )$7\f  )7  6\0 Aj  (A\0N@ \0 ( 6\b \0 )7\0\f\v \0Ax6\0\v A0j$\0\vÏ|#\0A0k"$\0@ E@ \0Ax6\b \0A:\0\0\f\v A\bj" AÞÀ\0A\f@ (\b@ A j \r ( \r\v \0Ax6\b \0A:\0\0\f\v +("D\0\0\0\0\0\0\0\0c Dÿÿÿÿÿÿ?CeErE  ü¹aqE@ \0Ax6\b \0A:\0\0\f\v \0A\bj AµÀ\0A \0 ü\x077\0\v A0j$\0\vó@@@@@ (" (\fO\r\0 (\b Atj")\bBðB Q\r\0 (\0" ("K\r (! (\0!A\0! E\r  O@  "G\r\f\v " j,\0\0A¿L\r\f\v (\0!A\0!\f\v E@A\0!\f\v  O@  G\r\f\v  j,\0\0A@H\r\v  j!  k!\f\vA\0!\v \0 A\0 \x1B6 \0 A \x1B6\0\v½ \0@@ Aÿÿÿÿ\x07M@ \r \0A6\b \0A\x006A\0\f\v \0A\x006\f\vAÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 @@AÈÀ\0-\0\0\r\0AÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 \r\0\v\vA !AÈÀ\0A\0:\0\0 E@ \0 6\b \0A6\f\v \0 6\b \0 6A\0\f\vA\v6\0\v¸#\0A0k"$\0    \f@ (\0"	E@A\0!\f\v (\b ("\x07Atj!\bA\0! (!
A\0! \x07 (\fO"\x07E@ \b(\0A\0 \b-\0\fAG\x1B!\v  
O\r\0  	j-\0\0A"G\r\0 \x07A \b(Ak! \b(\0Aj!\x07 \b-\0\f\v! @  Atj!\bA\0A  AÿqAF"\x1B"A \x07 \x1B"k  I  (Kr"\x07\x1B!A (\0 j \x07\x1B! Aq!\x07@ Aj(\0! (\0!@@@ \x07E@  G\r   .E\r\f\v  O\r Aj  , (\r A$j"
 ( ( \x1B (, G\r ((  . 
AA\r\v \0 6\b \0 6A!\f\v A$jAA\v A\bj" \bG\r\0\v\vA!\v \0 6\0 A0j$\0\vÝ  K@   j-\0\0A-Fj!\v@@  M\r\0@  j"-\0\0"A0F@ Aj!\f\v A1kAÿqA	O\rA\0!  k"A\0  O\x1B!@@  j-\0\0A0kAÿqA	K\r  Aj"G\r\0\v !\v  j" M\r\v@  M"\r\0  j-\0\0A.G\r\0A\0!@  Aj"M\r\0A  j \x1B!  k"A\0  O\x1B!A\0!@  j-\0\0A0kAÿqA	K\r  Aj"G\r\0\v !\v  j" M\r\vA!  M\r  j-\0\0A rAå\0G\r@ Aj" O\r\0@  j-\0\0A+k\0\0\v Aj!\vA\0!@  M\r\0A  j  I\x1B!  k"A\0  M\x1B!@  j-\0\0A0kAÿqA	K\r  Aj"G\r\0\v !\vA!  j" K\r\vA\0!\v \0 6 \0 6\0\vÉ@ Aj" O\r\0@@  j"\x07-\0\0"A"G@ AÜ\0F"\r A O@ Aj" I\r\f\v \r A"G\r\v \0 :\0 \0 Aj6\0\v@@@ Aj O\r\0 \x07Aj-\0\0"Aí\0M@ Aá\0M@ A"F A/Fr\r AÜ\0G\r\f\v Aâ\0k\v@ Aî\0k\b\0\v Aj" K\r\0A!@ AF\r  \x07j-\0\0"A_qAÁ\0k! Aj! A0kAÿqA
I AÿqAIr\r\0\v\v \0A:\0 \0A\0:\0\0\v Aj!\vA!  K\r\0\v\v \0A:\0 \0A\0:\0\0\vÐ#\0Ak"$\0 \0@@@@  M\r\0  j-\0\0A"G\r\0 A\bj    -\0\f"	AF@ \0 -\0\b:\0\f\v (\b! (\b"\x07Aj!\b (\0 \x07F@ \v  \b6\b ( \x07Atj" 	:\0\f  \b6\b  6  6\0  M\r@  j-\0\0"A	k"AKA tAqEr\r  Aj"G\r\0\v\f\v \0A\0:\0\f\v A:G\r\0@ Aj" O\r\0@  j-\0\0A	k"AKA tAqEr\r Aj" I\r\0\v !\v \0 6A\0\f\v \0A\0:\0\vA\v:\0\0 Aj$\0\vC#\0Ak"$\0 A\bj \0 \0(\0AAA (\b"\0AxG@ \0 (\f'\0\v Aj$\0\v¢\r	#\0A@j"$\0 A\x006$ B7   j"6,@ E\r\0 A<j!
A!	@  Aj"6(@ -\0\0"ÀA\0N\r\0  Aj"6( -\0A?q!\x07 Aq! AßM@ At \x07r!\f\v  Aj"6( -\0A?q \x07Atr!\x07 AðI@ \x07 A\ftr!\f\v  Aj"6( AtAð\0q -\0A?q \x07Atrr!\v@@@@@@@@@@ AÜ\0G@ AÄ\0G\r\f\f\vAÜ\0!  F@A!A!\f	\v  Aj6(@ -\0\0"ÀA\0N\r\0  Aj6( -\0A?q! Aq!\x07 AßM@ \x07At r!\f\v  Aj6( -\0A?q Atr!\v AðI@ \v \x07A\ftr!\f\v  Aj6(A!A! \x07AtAð\0q -\0A?q \vAtrr"AÄ\0F\r	\v@ Aî\0k\b\b\b\b\b\0\vA!A\b!A! Aâ\0k\b\x07\x07\x07\x07\vA AI"\r\0A AI\r\0AA AI\x1B\v" ( \b"kK Aj  \b ($ \v ( "	j! \r A?qAr! Av! AI@  :\0  AÀr:\0\0\f	\v A\fv!\x07 A?qAr! AÿÿM@  :\0  :\0  \x07Aàr:\0\0\f	\v  :\0  :\0  \x07A?qAr:\0  AvApr:\0\0\f\b\vA\f!\f\vA!A
!A!\f\vA!A\r!A!\f\vA!A	!A!\f\v A6<  A(j68 Aj A8j 
 (!  (,"64  (("60@@@  F\r\0  ,\0\0"A\0N@ Aÿq! Aj\f\v -\0A?q!\x07 Aq! A_M@ At \x07r! Aj\f\v -\0A?q \x07Atr!\x07 ApI@ \x07 A\ftr! Aj\f\v AtAð\0q -\0A?q \x07Atrr! Aj\v"F AÜ\0Gr\r\0  Aj60@ -\0\0"ÀA\0N\r\0  Aj60 -\0A?q! Aq! AßM@ At r!\f\v  Aj60 -\0A?q Atr! AðI@  A\ftr!\f\v  Aj60 AtAð\0q -\0A?q Atrr!\v Aõ\0G\r\0 A6<  A0j68 A\bj A8j 
 AxqA°G\r\0 (\f"AxqA¸F\r\v A°sAÄ\0kA¼I\r AÄ\0G\r\f\v  )07( A
t jA¸ÿk"A°sAÄ\0kA¼O\r\vA!Aýÿ!A\0!\f\v  :\0\0\f\vA! AI@ !A!\f\vA\0! AIAAA AI\x1B\v! !\v ( \b"k I@ Aj  \b ( !	 ($!\v  	j! E@ A?qAr! Av! AI@  :\0  AÀr:\0\0\f\v A\fv!\x07 A?qAr! AÿÿM@  :\0  :\0  \x07Aàr:\0\0\f\v  :\0  :\0  \x07A?qAr:\0  AvApr:\0\0\f\v  :\0\0\v   \bj"\b6$ ((" (,"G\r\0\v\v \0 ($6\b \0 )7\0 A@k$\0\v­	 (\0Ak!\b (\0"(\0! (!
@@ " 
F\r  Aj"6\0@ -\0\0"ÀA\0N\r\0  Aj"6\0 -\0A?q! Aq!	 AßM@ 	At r!\f\v  Aj"6\0 -\0A?q Atr! AðI@  	A\ftr!\f\v  Aj"6\0 	AtAð\0q -\0A?q Atrr"AÄ\0F\r\v  \b6\0 \x07At AÁ\0kA_qA
j A0k A9K\x1B"A\0 AI\x1Bj!\x07 \bAk"\bAG\r\0\vA!\v\v \0 \x076 \0 \v6\0\v~@ \0)\0"B
Q\r\0@@@A §Ak BX\x1B\x07\0\v \0A\bjAA \0AjAA \0A j\f\v \0(\bAxF\r \0A\bj\f\v \0(AF@ \0AjAA\v \0((AxF\r \0A(j\vAA\v\v¹\0@@@@@ \0(\0Ak\0\v \0AjAA \0AjAA \0Aj\f\v \0(AxG@ \0AjAA\v \0(AxG@ \0AjAA\v \0(AxF\r \0Aj\f\v \0(AxF\r \0Aj\f\v \0(AxF\r \0Aj\vAA\v\vÐ\b~#\0Ak"\x07$\0@ E\r\0  j" I\r\0 \x07Aj!\b  (\0At"  K\x1B"A\bAA A\bI\x1B AF\x1B"	  	K\x1B"\f!#\0Ak"$\0A!
A!@@ ­ ­~"B §\r\0 §"Ax kK\r\0A\0! A\fj!\v@ E\r\0 (\0"\rE\r\0  6\f  \rl! (! A\bj!\v\v \v 6\0@@@@ (\f@ (\b"E@ E@ !\f\vAÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 E\r@AÈÀ\0-\0\0\r\0AÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 \r\0\v\f\v    !\f\v E@ !\f\vAÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 @@AÈÀ\0-\0\0\r\0AÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 \r\0\v\v  !AÈÀ\0A\0:\0\0\f\v  !AÈÀ\0A\0:\0\0\v \r\0 \b 6\f\v \b 6A\0!
\vA\b!\f\vA\0!\v  \bj 6\0 \b 
6\0 Aj$\0 \x07(AF@ \x07(\f!	 \x07(\b!\f\v \x07(\b!  \f6\0  6Ax!\v \0 	6 \0 6\0 \x07Aj$\0\v%\0 \0)\0B\fQ@ \0A\bj \0Aø\0j
\v \0 \0Aø\0j	\vµ3~|#\0AÐk"
$\0 
Aj"\rA \0(  \0(K"	\x1BA\0  	\x1B,@ 
(E@ 
(! 
(!	A\0!#\0A k"$\0 \0Aà\0j"A\x006 A\x006\b@@@@ 	E\r\0@  j-\0\0A	k"AKA tAqEr\r 	 Aj"G\r\0\v\f\v  	O\r A\fj!\v 	 j!\f@@@@@@@@@@@@@@  j"-\0\0"\x07Aå\0M@ \x07A"F\r \x07A-F\r \x07AÛ\0G\r\f	\v \x07Aó\0M@ \x07Aæ\0F\r \x07Aî\0G\r Aj" 	K\r (\0\0Aîê±ãG\r (\b"Aj!A\0!  (\0F\r\x07\f\b\v \x07Aô\0F\r \x07Aû\0F\r\b\v \x07A0kAÿqA
O\r\r\v   	  (\0AqE\r\f (!\f\v Aj" 	K\r\f (\0\0AôäÕ«G\r\f (\b"Aj!A\0!  (\0F\r\f\v Aj" 	K\r\v (\0\0AæÂ±\x07s Aj-\0\0Aå\0sr\r\v (\b"Aj!A\0!  (\0F\r\f\v (\b"Aj!A\0!  (\0G\r\f\v A\bj  	  -\0\f"AG@ (\b! (\b"Aj!  (\0F\r\f\v -\0\b!\f	\v \v  6\b (" Atj" :\0\f  6\b  6  6\0\f\v (\b"! ("\b (\fF@#\0Ak"$\0 A\bj \v \v(\0AAA (\b"AxG@  (\f'\0\v Aj$\0 (\b!\v  \bAj6 ( \bAtj 6\0 Aj! (\0 F@ \v  6\b (" Atj"A\0:\0\f  6\b  6  6\0@@ 	 Aj"K@@  j-\0\0"A	k"AKA tAqEr\r 	 Aj"G\r\0\v 	!\v \x07Aû\0F\r\f\v \x07Aû\0G@ ! AÝ\0G\r\f\v ! Aý\0F\r\v A\bj   	  -\0\bAG\r\f\v (! (!@A\0!@  	O@  j!\f\v@@  j"-\0\0A	k"\bAKA \btAqEr\r 	 Aj"G\r\0\v 	! \f!\f\vA!\v@@@@@ E\r\0  AtjAk"\bE\r\0 \b(\0"\b O\rA\0! 	  \bAtj"\x07(\0"\bK@ \b j-\0\0Aû\0F!\v E\r\v -\0\0"AÝ\0F\r Aý\0F\r A,G\r\v@ Aj" 	O\r\0@  j-\0\0A	k"AKA tAqEr\r 	 Aj"G\r\0\v 	!\v E\r\x07 A\bj   	  -\0\bAF\r\b\f\v  	G\r	 \rA6 \rA\x006 \r 6\f \r 6\b \r 	6 \r 6\0\f\v\v E\r	\f\v#\0A k"\0$\0 \0 6\f \0 \b6\b \0 \0A\bj­B 7 \0 \0A\fj­B 7AÄÀ\0 \0AjAÐÀ\0+\0\v \r\x07\v \x07 6\b \x07 Aj"6  Ak"6\f\0\v\0\v (\f!\v  	I\r\f\v\v -\0	!\f\v\v \rA\x006\0 \r Aq:\0\v A j$\0 
(E@ 
A\x006\0\f\v 
 
)7 
 
)7\b 
 
)7\0\f\v 
A\x006\0\v \0)\0"B\fQ@ 
A\x076P 
A:\0T@ 
(\0@ 
Aj!\rA\0!\f#\0Ak"$\0 A0j 
 -\x000!	@ -\0Q"AF@ \rA\x076\0 \r 	:\0\f\v  )\0I7\0%  )\0A7\0  )\x0097\0  )\x0017\0\r  /R;.  :\0-  	:\0\f -\0,! AØ\0j AjAÀ\0A\f (A\0 (\f"\x1B!	 A \x1B!A!@@@@@@@@@@ \0	\v@ 	Ak\0\v (\0\0AòÊ£s Aj"-\0\0Aù\0sr\rA\0!\f\b\v 	A\x07k\v (\0\0AåðÁËs Aj(\0\0Aéä£sr\rA!\f\v (\0\0AåäÉûs -\0\0Aò\0sr\r@ (X"\b@ Aj AØ\0j"A¢À\0A\x07 A0j A©À\0A\f\f\v Ax6 A\x0060\v Að\0j!	#\0Ak"$\0@ A0j"(\0@  @@@@A (\0"Axs A\0N\x1BAk\0\v +\b"Dÿÿÿÿÿÿ?CeE\r\0  ü¹a\r\v 	Ax6\0\f\v 	 (\b6\b 	 )\x007\0\f\vA\0!#\0A k"$\0 A\x006 B7\b ü\x07!@  B
"B
~}§A0r! (\b F@ A\bj(\v (\f j :\0\0  Aj"6 B	V !\r\0\v D\0\0\0\0\0\0\0\0c@  (\bF@ A\bj(\v (\f jA-:\0\0  Aj"6\v (\f! A\x006 B7  j"\v k" Aj"(\0 (\b"\fkK@  \f \b\v  \vG@ (\b!@AA \vAk"\v,\0\0"\x07A\0N"\x1B" (\0 kK   \b (\b \v (j"\f  \x07 \f \x07A¿q:\0 \x07AÀqAvA@r\v:\0\0   j"6\b  \vG\r\0\v\v 	 (6\b 	 )7\0 A\bjAA A j$\0\f\v 	Ax6\0\v Aj$\0 \r (l6 \r )d7 \r )\\7\b \r \b6 \rA6\0 \r )7 \r (6$ \r )p7( \r (x60\f\v )\0\0BçÊ¹«¦®ºå\0 A\bj1\0\0Bä\0B\0R\r\f\v (\0\0Aãäs Aj"(\0\0Aáè£srE\r (\0\0Aõàs (\0\0Aáè£sr\r\0 A0j AØ\0jA\0 (X\x1B (8"\fAxF\r )<! )0!A!\f\v A0j A\fj  (8"6  )0"7  )<7p  (D6x \r ((6 \r ) 7 \r )7\b \r (6 \rA6\0 \r 7 \r 6$ \r )p7( \r (x60\f\v A0j AØ\0jA\0 (X\x1B (8"\fAxF\r\0 )<! )0!A!\f\v -\x000! \rA\x076\0 \r :\0\f\v \r 7 \r 7\b \r \f6 \r 6\0\v Aj$\0@ 
(A\x07F@ 
 
-\0:\0 
A\x076\f\v 
Aj!\x07#\0A k"$\0@@@@@@@@ 
Aj"\b(\0"	Ak\0\v@ \b(E@Ax!\f\v  \bAj (\0! Aj (" (! (AF\r (! E@A\0!\f\v E\r\0   ü
\0\0\v \x07 6$ \x07 6  \x07 6 \x07 \bAj"(\b6\f \x07 )\x007 \x07 \bA(j")\x007 \x07 (\b6\f\v \x07 \b)7 \x07 \b(\f6\f \x07 \b)7\f\v \x07 \b)7 \x07 \b(\f6\f \x07 \b)7\f\v A\bj \bAj (\b! Aj (\f" (!\f (AF\r (! @   ü
\0\0\v \x07 6$ \x07 6  \x07 \f6 \x07 \bAj"(\b6\f \x07 )\x007 \x07 \bA(j")\x007 \x07 (\b6\v \x07 	6\0 A j$\0\f\v  ('\0\v \f ('\0\v\v 
AÐ\0j\f\v 
Aj 
AÐ\0jA(ü
\0\0\v \0A(j! \0((A\bG@ \v  
AjA(ü
\0\0 \0A\bj \0Aø\0j
\f\v 
B
7P 
A:\0X@ 
(\0@ 
Aj!\x07#\0A k"$\0 Aø\0j 
 -\0x!	@ -\0"AF@ \x07B
7\0 \x07 	:\0\b\f\v  )\07\0%  )\07\0  )\07\0  )\0y7\0\r  /;.  :\0-  	:\0\f -\0,!	 A0j Aj"AÀ\0A\f (A\0 (\f"\x1B!\f A \x1B!\v@@@~@@@@@@@ 	\0\b\v@ \fAk\0\b\b\v \v(\0\0AòÊ£s \vAj-\0\0Aù\0sr\r\x07B!\f	\v@ \fAk\0\x07\x07\v \v(\0\0Aóè\x07s \vAj-\0\0Aô\0sr\r\f\x07\v \v(\0\0AåðÁËs \vAj(\0\0Aéä£sr\rB!\f\x07\v \v(\0\0Aóè\x07s \vAj(\0\0Aòè£srE\r\f\v \v)\0\0BãÞµëÖÌÛ±å\0 \vA\bj"1\0\0Bä\0P\r \v)\0\0BãÞµÇ­ºå\0 1\0\0Bä\0PE\rB\x07!\f\v@@ \v)\0\0Bðä½»¦®Ù¹ó\0R@ \v)\0\0BæÊ£¦¬Ø±ë\0R\r  )\x0017\`  )\x0097h  )\0@7\0o -\x000!B\f\v A\bj! A0jA\0 (0\x1B!	#\0A0k"\f$\0@@ 	E\r\0 \fAj 	AÀ\0A\b\f \f(E\r\0 \f \f)(7 \f \f) 7\b \f \f)7\0\f\v \f AÀ\0A\b\f\v  \f(\0E@A!A\f\v \fAj \f\rA!A \f)BR\r\0 \f+ "D\0\0\0\0\0\0Y@f@A\0!Aä\0\f\vA\0!A\0 D\0\0\0\0\0\0\0\0dE\r\0Aÿ üA\0 D\0\0\0\0\0\0\0\0f\x1B D\0\0\0\0\0ào@d\x1B\v:\0  :\0\0 \fA0j$\0 -\0	!\v -\0\b\rB!\f\vB\x07! \v)\0\0BãÞµÇ­ºå\0Q\r \v)\0\0BæÒ¹Ë¶Ú²ä\0R\r\f\v \x07B
7\0 \x07 \v:\0\b\f\v@@@@@@@ \fAk\x07\0\v \v(\0\0Aóè\x07s \vAj-\0\0Aô\0sr\rA\0\f\vAA \v/\0\0AåÜs \vAj-\0\0Aä\0sr\x1B\f\vAA \v)\0\0BãÞµÇ­ºå\0Q\x1B\f\v \v)\0\0BãÞµÇ­ºå\0 \vA\bj1\0\0Bä\0PE\rA\f\vA \v(\0\0AáÜÍ»\x07s \vAj"/\0\0AåäsrE\rAA \v(\0\0AæÂ¥ãs /\0\0AåÈsr\x1B\f\vA\f\vAA \v(\0\0"Aÿü\x07qA\bx AxAÿü\x07qr"Aòè\x07G@AA Aòè\x07I\x1B\f\v \vAj-\0\0Aù\0k\v\x1B\vAÿq"\vAF\r Aø\0j!\b A0jA\0 (0\x1B!\f#\0A@j"$\0@ \f@ Aj!	 A,j!AX!@ A(j \f AÀ\0j(\0 AÀ\0j(\0\f@ (("E\r\0 	 (6 	 )\b7\b 	 )\x007\0  6  Aj@@A (\0"Axs A\0N\x1BAk\0\v +\b"½Bÿÿÿÿÿÿÿÿÿ\0Bÿÿÿÿÿÿÿ÷ÿ\0V\rA\0\f\v +!A\f\v A\bj"\r\0\vA\v!	 A(j \fAÀ\0A\x07\f@ ((E@A!\f\v Aj A(jA! ("AxF\r\0 AxF@ -\0!\f\v A\0H\r\0 AjAA\v A(j" \fAÀ\0A\f ((~ Aj \r +! )B\0\v! \b :\0  \b 9 \b 6 \b 	6 \b 9\b \b 7\0\f\v \bA:\0  \bA6 \bB\x007\0\v A@k$\0  )@7X  )87P  )07H  )\07\`  )\07h  )\07\0o -\0! )! )x\v! \x07 :\0\b \x07 7\0 \x07 )\`7\0	 \x07 )h7\0 \x07 )\0o7\0 \x07 7  \x07 )H7( \x07 )P70 \x07 )X78 \x07 \v:\0@\f\v Aø\0j A\fj  )\0y7\`  (\06\0g  )7\0k  (6\0s -\0x!\v  )7H  )$7PB	! )!\f\vB!\v \x07 \v:\0\b \x07 7\0 \x07 )\`7\0	 \x07 )h7\0 \x07 )\0o7\0 \x07 7  \x07 )H7( \x07 )P70 \x07 )X78\v A j$\0@ 
)B
Q@ 
 
-\0:\0  
B
7\f\v 
Aj!\b#\0A0k"$\0@@@@@@@@@@@@@A 
Aj")\0"§Ak BX\x1BAk\x07\x07\0\v \bB7\0\f\x07\v \bB7\0\f\v \bB7\0\f\v \bB7\0 \b -\0\b:\0\b\f\v@ (\bE@Ax!\f\v A\bj A\bj (\b! A$j (\f" ((! ($AF\r (,! E@A\0!\f\v E\r\0   ü
\0\0\v \b 6 \b 6\f \b 6\b \bB7\0\f\v \bB\x077\0\f\v -\0@!	@ ((E@Ax!\f\v Aj A(j (! A$j (" ((! ($AF\r (,! E@A\0!\f\v E\r\0   ü
\0\0\v \b 	:\x004 \b A(ü
\0\0 \b 60 \b 6, \b 6(\f\v Aj A j (! A$j (" ((!\f ($AF\r (,!	 @ 	  ü
\0\0\v \b 6( \b 	6$ \b \f6  \bB	7\0 \b A\bj"(\b6 \b )\x007\b \b Aj")\x007 \b (\b6\v A0j$\0\f\v  (,'\0\v  (,'\0\v \f (,'\0\v\v 
AÐ\0j\f\v 
Aj 
AÐ\0jA8ü
\0\0\v B\vR@ \0\v \0 
AjA8ü
\0\0 \0 \0Aø\0j	\v 
AÐj$\0\v~@ \0)\0"B\fR@ \0(PAxG@ \0AÐ\0jAA\v \0(8AF@ \0A<jAA\v B\vQ\r \0\f\v \0(AxG@ \0AjAA\v \0((A\bF\r\0 \0A(j\v \0AjAA \0Aà\0jAA \0Aì\0jAA \0AjAAAÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 @@AÈÀ\0-\0\0\r\0AÈÀ\0AÈÀ\0-\0\0"A \x1B:\0\0 \r\0\v\v \0A AÈÀ\0A\0:\0\0\v§@ \0(" O@ \0 6\f\v  k" \0Aj"(\0 (\b"kK@   \b (\b!\v (" j!@@ AO@ Ak"@ A\0 ü\v\0\v   j"j!\f\v E\r\v A\0:\0\0 Aj!\v  6\b\v \0(\vÕ~#\0AÐk"$\0 \0~B\fAä\0 Aÿq"\0 \0Aä\0O\x1B­B(BB\0 AI\x1B!B\v\v! B\x007 B\x007¤ A\x006¬ B\x007 B\x007 A\x006 B\x007h B\x007p A\x006x B\x007P B\x007X A\x006\` B\x0078 B\x007@ A\x006H A\x0060 B\x007( B\x007  A\x006 B\x007 B\x007\b A\x006Ì B\x007Ä B\x007¼ B\x007´AÈÀ\0AÈÀ\0-\0\0"\0A \0\x1B:\0\0 \0@@AÈÀ\0-\0\0\r\0AÈÀ\0AÈÀ\0-\0\0"\0A \0\x1B:\0\0 \0\r\0\v\vA\bA !\0AÈÀ\0A\0:\0\0 \0E@A )\0\v \0A\x006x \0B7p \0B\x007h \0BÀ\x007\` \0A\0:\0^ \0A\0;\\ \0Ax6P \0 7H \0A68 \0A\b6( \0A\0;$ \0Ax6 \0B\x007\b \0 7\0 \0 )7| \0 ) 7 \0 )¨7 \0B\x007 \0B\x007¸ \0B\x007Ø \0 )7  \0 )7¨ \0 (6° \0 )h7À \0 )p7È \0 (x6Ð \0 )P7à \0 )X7è \0 (\`6ð \0B\x007ø \0B\x007 \0B\x007¸ \0 )87 \0 )@7 \0 (H6 \0 ) 7  \0 )(7¨ \0 (06° \0 )\b7À \0 )7È \0 (6Ð \0 )È7ì \0 )À7ä \0 )¸7Ü \0 )°7Ô \0A\x006 \0B7 \0A\x006 \0B7 \0B\x007ø AÐj$\0 \0\v \0A\x006 \0A\x006x \0Aø\0j!@@@ \0)\0B\fQ@ AÀ\0AAA \0-\0$\x1BAA\0D\0\0\0\0\0\0\0\0 AÀ\0A\x07AA \0-\0%\x1BAA\0D\0\0\0\0\0\0\0\0 \0(\bE\r A­À\0A\bA\0AA\0 \0)º\f\v AÀ\0AAA \0-\0\\\x1BAA\0D\0\0\0\0\0\0\0\0 A¡À\0A\x07AA \0-\0]\x1BAA\0D\0\0\0\0\0\0\0\0 AÀ\0A\bA\0AA\0 \0-\0M¸D\0\0\0\0\0\0\0\0 \0-\0L\x1B A¹À\0A	AA \0-\0^\x1BAA\0D\0\0\0\0\0\0\0\0 \0A8j!@ \0(PAxG@ A±À\0A\bA \0(T \0(XD\0\0\0\0\0\0\0\0\f\v A±À\0A\bAAA\0D\0\0\0\0\0\0\0\0\v@ (\0AG@ AàÀ\0A
 \x07\f\v AàÀ\0A
AAA\0D\0\0\0\0\0\0\0\0\v AêÀ\0AA\0AA\0 \0(H¸\f\v A­À\0A\bAAA\0D\0\0\0\0\0\0\0\0\v \0(AxG@ AµÀ\0AA \0( \0( D\0\0\0\0\0\0\0\0\f\v AµÀ\0AAAA\0D\0\0\0\0\0\0\0\0\v@ \0(x"E\r\0 \0(! \0Aj! Ak!A\0!\0@ \0 j" (\0 j6\0 E\r Ak! \0AàG \0A j!\0\r\0\v\v \v\0A\b \0 \0A\bM\x1BA\x07jAxq\v\x1B\0 \0@ )\0\vAÜÀ\0A#AðÀ\0+\0\vÕ#\0Ak"$\0 Aj! \0(\0"! \0(!A\b At" A\bM\x1B""A\0H@A!A\0!A\f\v@ @ A  \f\v E@A!\f\v \v"\r\0 A6A\f\v  6A\0\v!A\b\v j 6\0  6\0 (AF@ (\b (\f'\0\v (\b! \0 6\0 \0 6 Aj$\0\vf#\0Ak"$\0  \x006  Aj­B 7\b#\0A k"\0$\0 \0 A\bj6 \0A¨À\x006\f \0A\0:\0 \0A\0:\0 \0AÌÀ\x006 \0 \0A\fj6\0\vW@@ (\b"E@A!\f\v (! "E\r E\r\0   ü
\0\0\v \0 6\b \0 6 \0 6\0\vA '\0\v4#\0A k"$\0  6  \x006\f A;  6  A\fj6\0\v«~@ E\r\0 A\x07k"A\0  O\x1B!\x07 AjA|q k!\bA\0!@@@@  j-\0\0"À"A\0N@ \b kAq\r  \x07O\r@  j"Aj(\0 (\0rAxq\r A\bj" \x07I\r\0\v\f\vB !	@@@@@@@@@ -\0È@Ak\0\x07\v Aj" I\rB\0!	\f\v Aj" I\rB\0!	\f\v Aj" I\rB\0!	\f\v  j,\0\0A¿J\r\f\v  j,\0\0!@@ Aàk"@ A\rF@\f\f\v\0\v A\`qA F\r\f\v AJ\r\f\v AjAÿqA\fO@ A~qAnG\r A@H\r\f\v A@H\r\f\v  j,\0\0!@@@@ Aðk\0\0\0\0\v AjAÿqAK\r A@H\r\f\v Að\0jAÿqA0I\r\f\v AJ\r\v  Aj"M@B\0!	\f\v  j,\0\0A¿J@BÀ\0!	\f\vB\0!	 Aj" O\r  j,\0\0A@H\rBà\0!	\f\vB\0!	 Aj" O\r\0  j,\0\0A¿L\rBÀ\0!	\v \0 	 ­7 \0A6\0\v Aj!\f\v Aj!\f\v  M\r\0@  j,\0\0A\0H\r  Aj"G\r\0\v\f\v  K\r\0\v\v \0 6\b \0 6 \0A\x006\0\v\0\0\vC@ E\r\0@ \0-\0\0" -\0\0"F@ \0Aj!\0 Aj! Ak"\r\f\v\v  k!\v \v\vØ\r\b\0AÀ\0\v
nameprogressdatascreencorrectscoremessagecodecourseIdtitleerrortypeeventrawscreenIdscreenIndexidindex\0\0\0\0\0\0\0\0K\0\0\b\0\0\0S\0\0\v\0\0\0^\0\0\0\0\0\`\0\0\0\0\0readyexpiredstartstartedcommencedfeedbackcompletedcompletefinishedendanswerfailedretrycreatedgeneratedupdatedpayloadstatussession:readysession:expiredcourse:startcourse:progresscourse:feedbackcourse:completedscreen:startscreen:endscreen:completescreen:answerscreen:failedscreen:retryunknownsession:errorcourse:createdcourse:updatedbacknot a Coassemble messageCoassemble message without an event namecourse:progress without a numeric progress valuecourse event without a numeric course idsessioncoursemodule\0\0w\0\x07\0\0\0~\0\0\0\0\0\0\0\0\0\0\0\0\0Û\0\0\0\0\0\0\0\0\0\0\0\x07\0\0\0:\0\0\0\0\0\0\0\0\0\0¡\0\0\x07\0\0\0¨\0\0	\0\0\0\0\0\b\0\0\0±\0\0\b\0\0\0¹\0\0	\0\0\0Â\0\0\b\0\0\0Ê\0\0\b\0\0\0Ò\0\0\0\0\0Õ\0\0\0\0\0Û\0\0\0\0\0á\0\0\0\0\0æ\0\0\x07\0\0\0í\0\0	\0\0\0ö\0\0\x07\0\0\0 index out of bounds: the len is À but the index is À\0src/json_text.rs\0/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/alloc/src/raw_vec/mod.rs\0/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/alloc/src/alloc.rs\0memory allocation of À\r bytes failed\0\0\0{\0\0\0\0°\0\0\x006\0\0\0lastScreendroppedProgress\0\0\0\f\0\0\0
\0\0\0\0\0\0\r\0\0\0\r\0\0\0\f\0\0\0\`\0l\0v\0\0\0\0(\0\0\x000\0\0\0(\0\0\0\0\0\0÷\0\0O\0ß\0Ý\0J\0\0\0)\0\0	\0\0\0capacity overflow\0\0\0\0P\0\0\0\0\0\0\0\0\0\0A¨À\0\v\b\0\0\0\0\0\0AßÀ\0\v\0AÀ\0\v\0A À\0\v\0AÀ\0\vÈ00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899\0AÀ\0\v3\0AÌÀ\0\vÿÿÿÿ\0target_features\b+mutable-globals+nontrapping-fptoint+\vbulk-memory+\bsign-ext+reference-types+
multivalue+bulk-memory-opt+call-indirect-overlong`;
var F = new Uint8Array(M.length);
for (let r = 0; r < F.length; r++) F[r] = M.charCodeAt(r);
var O = F;

// js/errors.js
var i = class extends Error {
  /**
   * @param {string} code stable machine-readable code, e.g. `'invalid_origin'`
   * @param {string} message human-readable explanation
   * @param {object} [details] extra fields copied onto the error (`raw`, `cause`, `event`...)
   */
  constructor(A, e, t) {
    super(e, t && "cause" in t ? { cause: t.cause } : void 0);
    this.name = "CoassembleError";
    this.code = A;
    if (t) Object.assign(this, t);
  }
};
var p = class extends i {
  constructor(A) {
    super("timeout", A);
    this.name = "TimeoutError";
  }
};
var w = class extends i {
  constructor(A = "the embed was destroyed") {
    super("destroyed", A);
    this.name = "DestroyedError";
  }
};

// js/listen.js
function _(r, A, e, t, s) {
  let n = s === void 0;
  let a;
  let d = false;
  let u;
  let j = false;
  const c = (o) => {
    if (o.source === null) return;
    if (o.origin !== e) {
      if (s !== void 0 && !a?.has(o.origin)) {
        (a ??= /* @__PURE__ */ new Set()).add(o.origin);
        s(o.origin);
      }
      return;
    }
    if (!n) {
      n = true;
      s(e);
    }
    const k = o.data;
    let f = k;
    if (typeof k !== "string") {
      try {
        f = JSON.stringify(k);
      } catch {
        return;
      }
      if (f === void 0) return;
    }
    if (d) {
      (u ??= []).push(f, k);
      return;
    }
    d = true;
    try {
      t(f, k);
      while (u !== void 0 && u.length > 0 && !j) t(u.shift(), u.shift());
    } finally {
      d = false;
      u = void 0;
    }
  };
  const m = (o) => {
    if (o.source === A.contentWindow) c(o);
  };
  r.addEventListener("message", m);
  return () => {
    j = true;
    r.removeEventListener("message", m);
  };
}

// js/origin.js
function I(r, A, e) {
  const t = (n) => {
    let a;
    try {
      a = new URL(n);
    } catch {
      throw `"${n}": not an absolute URL`;
    }
    if (a.protocol !== "https:" && a.protocol !== "http:") {
      throw `"${n}": only http: and https: embeds have an origin to trust`;
    }
    return a;
  };
  if (A != null) {
    const n = t(A);
    if (n.pathname !== "/" || n.search || n.hash || n.username || n.password) {
      throw `"${A}": an origin has no path, query or credentials`;
    }
    return n.origin;
  }
  const s = e ?? r.src;
  if (!s) throw "";
  return t(s).origin;
}

// js/embed-handle.js
var h;
var q = new Uint8Array(0);
var J = new TextDecoder();
var W = new TextEncoder();
var v = /* @__PURE__ */ new Map();
var V = () => q.byteLength === 0 ? q = new Uint8Array(h.memory.buffer) : q;
var y = (r, A) => J.decode(V().subarray(r, r + A));
function Y() {
  h ??= new WebAssembly.Instance(new WebAssembly.Module(O), {
    env: { parse_number: (r, A) => Number(y(r, A)) }
  }).exports;
}
var R = [
  (r, A) => r.getFloat64(A + 24, true),
  (r, A) => y(r.getUint32(A + 12, true), r.getUint32(A + 16, true)),
  (r, A) => JSON.parse(R[1](r, A)),
  () => false,
  () => true,
  () => null
];
function K(r) {
  const A = new DataView(h.memory.buffer);
  const e = {};
  for (let t = 0, s = A.getUint32(r, true); t < s; t++) {
    const n = r + 8 + t * 32;
    const a = A.getUint32(n, true);
    let d = v.get(a);
    if (d === void 0) v.set(a, d = y(a, A.getUint32(n + 4, true)));
    e[d] = R[A.getUint32(n + 8, true)](A, n);
  }
  return e;
}
function z({ name: r, data: A, ...e }, t) {
  const s = () => typeof t === "string" ? JSON.parse(t) : t;
  if (r === "error") return { name: r, code: "malformed_message", message: e.message, raw: s() };
  const n = r.indexOf(":");
  const a = n > 0 ? { name: r, type: r.slice(0, n), event: r.slice(n + 1) } : { name: r, type: r, event: void 0 };
  a.data = r === "unknown" ? e.raw?.data : A !== void 0 ? A : s()?.data;
  return Object.assign(a, e);
}
var B = class {
  #e;
  #A;
  constructor(A, e, t, s, n, a, d) {
    if (typeof e?.tagName !== "string" || e.tagName.toLowerCase() !== "iframe") {
      throw new i("not_an_iframe", "the element to attach to is not an <iframe>");
    }
    const u = e.ownerDocument?.defaultView;
    if (!u) throw new i("no_dom", "no window: embeds can only be attached in a browser page");
    try {
      this.origin = I(e, t, s);
    } catch (o) {
      throw o === "" ? new i("missing_origin", "the iframe has no src and no origin was given: pass the embed's origin") : new i("invalid_origin", `invalid embed origin ${o}`);
    }
    Y();
    const j = h.embed_new(A === "builder" ? 1 : 0, n ?? -1);
    let c;
    let m;
    this.#e = j;
    this.#A = _(u, e, this.origin, (o, k) => {
      let f;
      if (o === m) {
        f = h.embed_again(j);
      } else {
        const g = o.length;
        if (c === void 0 || c.byteLength < g * 3) {
          const E = Math.max(g * 3, 256);
          const Q = h.embed_input(j, E);
          c = new Uint8Array(h.memory.buffer, Q, E);
        }
        let l = 0;
        for (; l < g; l++) {
          const E = o.charCodeAt(l);
          if (E > 127) break;
          c[l] = E;
        }
        const S = l === g ? l : l + W.encodeInto(o.slice(l), c.subarray(l)).written;
        f = h.embed_deliver(j, S);
        m = o;
      }
      if (f !== 0) a(z(K(f), k));
    }, d);
  }
  /** A fresh snapshot of the embed's state. */
  state() {
    return K(h.embed_state(this.#e));
  }
  /** Removes the listener and frees the slot. Idempotent. */
  free() {
    if (this.#e === void 0) return;
    this.#A();
    h.embed_free(this.#e);
    this.#e = void 0;
  }
};

// js/removal.js
var Z = 1e3;
var b = /* @__PURE__ */ new Set();
var x = /* @__PURE__ */ new Map();
var G;
function C() {
  for (const r of b) {
    if (r.iframe.isConnected) {
      if (!r.seen) {
        r.seen = true;
        P(r, r.iframe);
      }
    } else if (r.seen) {
      r.onRemoved();
    }
  }
}
function P(r, A) {
  let e = A.getRootNode();
  for (; ; ) {
    if (!r.roots.has(e)) {
      r.roots.add(e);
      let s = x.get(e);
      if (!s) {
        s = { observer: new MutationObserver(C), watches: 0 };
        s.observer.observe(e, { childList: true, subtree: true });
        x.set(e, s);
      }
      s.watches += 1;
    }
    const t = e.host;
    if (!t) return;
    e = t.getRootNode();
  }
}
function T(r, A) {
  if (typeof MutationObserver === "undefined" || !r.ownerDocument) return () => {
  };
  const e = { iframe: r, onRemoved: A, seen: r.isConnected, roots: /* @__PURE__ */ new Set() };
  b.add(e);
  P(e, e.seen ? r : r.ownerDocument);
  G ??= setInterval(C, Z);
  return () => {
    if (!b.delete(e)) return;
    for (const t of e.roots) {
      const s = x.get(t);
      s.watches -= 1;
      if (s.watches === 0) {
        s.observer.disconnect();
        x.delete(t);
      }
    }
    if (b.size === 0) {
      clearInterval(G);
      G = void 0;
    }
  };
}

// js/timers.js
var D = 2 ** 31 - 1;
function L(r, A) {
  if (!(typeof r === "number" && r >= 0 && r <= D)) {
    throw new i("invalid_option", `${A} must be a number of ms from 0 to ${D}, got ${r}`);
  }
  return r;
}

// js/embed.js
var U = 2e4;
var $ = class {
  #e;
  #A;
  #u;
  // as given: a renewed URL's origin is derived again when none was
  #a;
  #i = false;
  #t = /* @__PURE__ */ new Map();
  // name -> array of { callback, once, removed }
  #d;
  #o = [];
  // each distinct origin the iframe's window posted from, in order (this session)
  #n = /* @__PURE__ */ new Set();
  // { resolve, reject, timer }
  #j = 0;
  #r = false;
  #h = null;
  #f;
  #l;
  /** @internal use attachCourse/attachBuilder/embedCourse/embedBuilder */
  constructor(A, e, t, s = {}, n, a = false) {
    const { origin: d, readyTimeoutMs: u = U, renewUrl: j, initialProgress: c } = s;
    L(u, "readyTimeoutMs");
    if (d !== void 0 && d !== null && typeof d !== "string") {
      throw new i("invalid_origin", `origin must be a string like "https://coassemble.com", got ${typeof d}`);
    }
    if (j !== void 0 && typeof j !== "function") {
      throw new i("invalid_option", "renewUrl must be a function that resolves to a fresh signed URL");
    }
    if (c !== void 0 && !(Number.isInteger(c) && c >= 0 && c <= 100)) {
      throw new i("invalid_option", `initialProgress must be a whole percent 0..100, got ${c}`);
    }
    this.#e = A;
    this.#u = d ?? void 0;
    this.#a = j;
    this.#A = this.#m(e, t, n, c);
    this.kind = e;
    this.iframe = t;
    this.origin = this.#A.origin;
    this.#d = u;
    this.#l = a;
    this.#f = T(t, () => this.destroy());
  }
  #m(A, e, t, s) {
    return new this.#e(
      A,
      e,
      this.#u,
      t,
      s,
      (n) => this.#p(n),
      (n) => this.#w(n)
    );
  }
  /**
   * Calls `callback(event)` for each event `name` (`'*'`: every event; `'error'`: SDK errors).
   * @returns {() => void} a function that removes this callback
   */
  on(A, e) {
    return this.#k(A, e, false);
  }
  /** Like `on`, for the next matching event only. */
  once(A, e) {
    return this.#k(A, e, true);
  }
  /**
   * Removes `callback` from `name` (all of `name`'s callbacks when `callback` is omitted). As with
   * `EventTarget`, a callback removed while an event is being dispatched is not called for it.
   */
  off(A, e) {
    this.#c(A, (t) => e !== void 0 && t.callback !== e);
  }
  /**
   * Resolves once the embed sent `session:ready` (at once if it already did; while a `renewUrl`
   * renewal runs, once the new session is ready; also after `destroy()` when it had come). Rejects
   * with a `TimeoutError` after `readyTimeoutMs` (its message says what came from the iframe's
   * window, and from which origin), or a `DestroyedError` if the embed is destroyed first.
   * @returns {Promise<void>}
   */
  ready() {
    if (this.state.ready && !this.#i) return Promise.resolve();
    if (this.#r) return Promise.reject(new w());
    return new Promise((A, e) => {
      const t = { resolve: A, reject: e, timer: void 0 };
      t.timer = setTimeout(() => {
        this.#n.delete(t);
        e(new p(this.#E()));
      }, this.#d);
      this.#n.add(t);
    });
  }
  /** A snapshot of what the embed reported so far (course: ready, started, progress, completed,
   * feedback, lastScreen, droppedProgress; builder: ready, expired, courseId, title). */
  get state() {
    return this.#h ?? this.#A.state();
  }
  /** True once `destroy()` ran (also when the iframe was removed from the page). */
  get destroyed() {
    return this.#r;
  }
  /**
   * Stops listening, rejects pending `ready()` waits, drops every callback, and removes the iframe
   * when `embed*` created it (an iframe given to `attach*` stays: it belongs to the page). Idempotent.
   * Another embed attached to the same iframe is independent: it keeps listening.
   */
  destroy() {
    if (this.#r) return;
    this.#h = this.#A.state();
    this.#r = true;
    this.#f();
    if (this.#l) this.iframe.remove();
    this.#t.clear();
    for (const A of this.#n) {
      clearTimeout(A.timer);
      A.reject(new w());
    }
    this.#n.clear();
    if (this.#j === 0) this.#A.free();
  }
  #k(A, e, t) {
    if (typeof A !== "string") throw new i("invalid_argument", "event name must be a string");
    if (typeof e !== "function") throw new i("invalid_argument", `callback for '${A}' must be a function`);
    if (this.#r) return () => {
    };
    const s = { callback: e, once: t };
    this.#t.set(A, [...this.#t.get(A) ?? [], s]);
    return () => this.#c(A, (n) => n !== s);
  }
  // Arrays are replaced, never mutated, so a dispatch in progress keeps iterating its own copy (a
  // callback added meanwhile waits for the next event); a removed entry is marked, so that copy
  // skips it (EventTarget semantics).
  #c(A, e) {
    const t = this.#t.get(A);
    if (!t) return;
    const s = [];
    for (const n of t) {
      if (e(n)) s.push(n);
      else n.removed = true;
    }
    if (s.length) this.#t.set(A, s);
    else this.#t.delete(A);
  }
  // Called by the listener once for each distinct origin the iframe's own window posts from.
  #w(A) {
    this.#o.push(A);
    if (A === this.origin || this.#r) return;
    this.#s("error", new i(
      "origin_mismatch",
      `the iframe's window posted from ${A}, not from the trusted origin ${this.origin}: its messages are not delivered. If ${A} is the embed's real origin (a custom domain, a redirect), pass { origin: '${A}' }`,
      { expected: this.origin, received: A }
    ));
  }
  #E() {
    const A = `no session:ready from ${this.origin} within ${this.#d} ms`;
    const e = this.#o.filter((t) => t !== this.origin);
    if (e.length) {
      return `${A}: the iframe's window posted from ${e.join(", ")} instead (see the origin_mismatch error); if that is the embed's real origin, pass it as { origin }`;
    }
    if (this.#o.length) return `${A}, though the iframe's window did post from ${this.origin}`;
    return `${A}: nothing came from the iframe's window (is the embed URL right, and has it loaded?)`;
  }
  // Called by the handle for every accepted event; must never throw back into the listener.
  #p(A) {
    if (this.#r) return;
    this.#j++;
    try {
      if (A.name === "error") {
        this.#s("error", new i(A.code, A.message, { raw: A.raw }));
        return;
      }
      if (A.name === "session:ready") this.#$();
      if (A.name === "session:expired" && this.#a && !this.#i) {
        this.#i = true;
        queueMicrotask(() => this.#B());
      }
      this.#s(A.name, A);
      this.#s("*", A);
    } finally {
      this.#j--;
      if (this.#r && this.#j === 0) this.#A.free();
    }
  }
  // Asks the host for a fresh signed URL and reloads the same iframe with it, behind a new listener
  // (a course keeps its progress) that is live before the reload; subscriptions stay on this object.
  async #B() {
    try {
      const A = await this.#a();
      if (typeof A !== "string" || A === "") throw new TypeError("renewUrl must resolve to the new signed URL");
      if (this.#r) return;
      const e = this.#m(this.kind, this.iframe, A, this.kind === "course" ? this.state.progress : void 0);
      this.#A.free();
      this.#A = e;
      this.origin = e.origin;
      this.#o = [];
      this.#i = false;
      this.iframe.src = A;
      const t = { name: "session:renewed", type: "session", event: "renewed", data: void 0, url: A };
      this.#s("session:renewed", t);
      this.#s("*", t);
    } catch (A) {
      this.#i = false;
      this.#s("error", A instanceof i ? A : new i("renew_failed", `renewUrl failed: ${A?.message ?? A}`, { cause: A }));
    }
  }
  #$() {
    for (const A of this.#n) {
      clearTimeout(A.timer);
      A.resolve();
    }
    this.#n.clear();
  }
  #s(A, e) {
    const t = this.#t.get(A);
    if (!t) return;
    for (const s of t) {
      if (this.#r) return;
      if (s.removed) continue;
      if (s.once) this.#c(A, (n) => n !== s);
      try {
        s.callback(e);
      } catch (n) {
        this.#g(A, e, n);
      }
    }
  }
  // A throwing host callback must not stop the others: report it on 'error', or the console when
  // nobody listens there (or when an 'error' callback itself threw).
  #g(A, e, t) {
    if (A === "error" || !this.#t.has("error")) {
      console.error(`coassemble-events: a '${A}' callback threw`, t);
      return;
    }
    this.#s("error", new i(
      "callback_error",
      `a '${A}' callback threw: ${t?.message ?? t}`,
      { cause: t, event: e }
    ));
  }
};

// js/index.js
async function N() {
  if (typeof window === "undefined" || typeof document === "undefined") {
    throw new i("no_dom", "coassemble-events needs a browser page (window): attach in the client, not during server-side rendering");
  }
}
async function H(r, A, e, t) {
  await N();
  return new $(B, r, A, e, t);
}
var AA = ["fullscreen", "autoplay", "clipboard-write"];
function rA(r) {
  const A = r.featurePolicy?.features?.();
  return AA.filter((e) => !A || A.includes(e)).join("; ");
}
async function X(r, A, e, t = {}) {
  await N();
  if (!A || typeof A.appendChild !== "function") {
    throw new i("invalid_container", "the container must be a DOM element to put the iframe in");
  }
  if (typeof e !== "string" || e === "") {
    throw new i("missing_url", "pass the signed embed URL minted by your server");
  }
  const { origin: s, readyTimeoutMs: n, renewUrl: a, initialProgress: d, ...u } = t;
  const j = A.ownerDocument.createElement("iframe");
  j.setAttribute("allow", rA(A.ownerDocument));
  j.setAttribute("title", r === "builder" ? "Coassemble course builder" : "Coassemble course");
  j.style.border = "0";
  j.style.width = "100%";
  j.style.height = "100%";
  for (const [m, o] of Object.entries(u)) {
    if (o === true) j.setAttribute(m, "");
    else if (o !== false && o != null) j.setAttribute(m, String(o));
  }
  const c = new $(B, r, j, { origin: s, readyTimeoutMs: n, renewUrl: a, initialProgress: d }, e, true);
  j.src = e;
  A.appendChild(j);
  return c;
}
function BA(r, A) {
  return H("course", r, A);
}
function $A(r, A) {
  return H("builder", r, A);
}
function gA(r, A, e) {
  return X("course", r, A, e);
}
function bA(r, A, e) {
  return X("builder", r, A, e);
}
export {
  i as CoassembleError,
  U as DEFAULT_READY_TIMEOUT_MS,
  w as DestroyedError,
  D as MAX_TIMER_MS,
  p as TimeoutError,
  $A as attachBuilder,
  BA as attachCourse,
  bA as embedBuilder,
  gA as embedCourse
};
